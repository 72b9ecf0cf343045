"""The results screen's trials line, read like the report's trials section: per model run
more than once, pass^1 and pass^N, and the min / mean / max of its wall time and cost."""

from __future__ import annotations

from rich.text import Text

from nanotui.engine.numbers import secs, usd
from nanotui.engine.results import RunResult
from nanotui.engine.verdict.grading import AgentGrades
from nanotui.engine.verdict.trials import trial_stats


def trial_summary(run: RunResult, grades: list[AgentGrades]) -> Text:
    """Empty when every model ran once."""
    stats = [t for t in trial_stats(run, grades) if t.trials > 1]
    text = Text()
    for t in stats:
        if text:
            text.append("\n")
        text.append(t.display_name, style="bold")
        text.append(f" ×{t.trials}: passed {t.passes}/{t.trials} · pass^1 {t.pass_hat(1):.2f}"
                    f" · pass^{t.trials} {t.pass_hat(t.trials):.2f}")
        w = t.wall_s
        text.append(f" · wall {secs(w.min)}/{secs(w.mean)}/{secs(w.max)} s", style="dim")
        if t.cost_usd is not None:
            c = t.cost_usd
            text.append(f" · cost {usd(c.min)}/{usd(c.mean)}/{usd(c.max)}", style="dim")
        else:
            text.append(" · cost ?", style="dim")
    if text:
        text.append("\n(min/mean/max over the trials; pass^k: the chance that k trials all pass)", style="dim italic")
    return text
