"""The advisor's one line on the results screen: the cheapest and the fastest model at grade A
or better over the task's stored runs, and the Pareto front."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from nanotui.engine.numbers import secs, usd

if TYPE_CHECKING:
    from nanotui.engine.verdict.advisor import Advice


def advice_line(advice: Advice | None) -> Text:
    if advice is None:
        return Text("")
    runs = len(advice.runs)
    text = Text.assemble(("Advisor ", "bold"), (f"({runs} run{'s' if runs != 1 else ''} of this task): ", "dim"))
    if advice.cheapest is None and advice.fastest is None:
        text.append("no model has reached grade A or better in at least half its attempts yet.")
    else:
        if advice.cheapest is not None:
            m = advice.cheapest
            text.append("cheapest at A or better ")
            text.append(m.display_name, style="bold")
            text.append(f" ({usd(m.median_cost_usd)} median)")
        if advice.fastest is not None:
            if advice.cheapest is not None:
                text.append(" · ")
            m = advice.fastest
            text.append("fastest ")
            text.append(m.display_name, style="bold")
            text.append(f" ({secs(m.median_wall_s)} s median)")
    if advice.pareto:
        text.append(" · Pareto front: ", style="dim")
        text.append(", ".join(m.display_name for m in advice.pareto), style="dim")
    return text
