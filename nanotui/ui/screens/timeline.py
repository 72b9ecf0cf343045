"""Where the time went in one run: the timeline chart of every agent, a detail line for the
focused segment, and each agent's time share by kind.

Opened with ``t`` from the results screen (agents in the table's order) and from a run row
in History (agents by rank). A run recorded before nanotui kept event times has no segments:
the screen says so instead of drawing a chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from nanotui.engine.report.compare import key_argument
from nanotui.engine.report.timeline import time_by_kind
from nanotui.engine.results import AgentResult, RunResult, TimelineSegment, ToolCallRecord
from nanotui.ui.widgets.timeline_chart import TimelineChart

if TYPE_CHECKING:
    from nanotui.engine.verdict.verdict import Verdict

NO_TIMING = "This run was recorded before nanotui kept event times: there is no timeline to draw."
SHARE_LABELS = {"tool": "tools", "retry": "retry wait"}


def ranked(run: RunResult, verdict: Verdict | None = None) -> list[AgentResult]:
    """The agents in the order the results table shows them first (by rank)."""
    from nanotui.engine.verdict.grading import grade_run

    rank = {g.agent_id: g.rank for g in grade_run(run, verdict)}
    return sorted(run.agents, key=lambda a: rank.get(a.agent_id, len(run.agents)))


def time_shares(segments: Sequence[TimelineSegment]) -> list[tuple[str, float]]:
    """Each kind's share of the agent's time, largest first (kinds with no time left out); the
    seconds are the report's (``time_by_kind``), so screen and report agree."""
    spent = time_by_kind({"timeline": [s.to_dict() for s in segments]})
    total = sum(spent.values())
    if total <= 0:
        return []
    return sorted(((k, v / total) for k, v in spent.items() if v > 0), key=lambda kv: -kv[1])


def shares_text(segments: Sequence[TimelineSegment]) -> str:
    """``waiting 41 % · streaming 30 % · tools 22 % · queued 7 %``."""
    parts = []
    for kind, share in time_shares(segments):
        figure = "<1" if share < 0.005 else f"{share * 100:.0f}"
        parts.append(f"{SHARE_LABELS.get(kind, kind)} {figure} %")
    return " · ".join(parts)


def calls_by_segment(agent: AgentResult) -> dict[int, ToolCallRecord]:
    """Tool segment index -> the tool call it ran: the k-th run of a tool in a turn is that
    turn's k-th call of that tool (by name alone in runs that did not record turns)."""
    turns_known = any(c.turn for c in agent.tool_calls)
    waiting: dict[tuple[int | None, str], list[ToolCallRecord]] = {}
    for call in agent.tool_calls:
        waiting.setdefault((call.turn if turns_known else None, call.name), []).append(call)
    out: dict[int, ToolCallRecord] = {}
    for i, seg in enumerate(agent.timeline):
        if seg.kind == "tool" and seg.tool:
            queue = waiting.get((seg.turn if turns_known else None, seg.tool))
            if queue:
                out[i] = queue.pop(0)
    return out


def span_text(start: float, end: float) -> str:
    """``12.40–13.05 s (0.65 s)``; a stretch under a tenth of a second in milliseconds, with
    its ends to the millisecond, so a 3 ms tool run does not read "1.02–1.02 s (0.00 s)"."""
    length = end - start
    if length >= 0.1:
        return f"{start:.2f}–{end:.2f} s ({length:.2f} s)"
    ms = f"{length * 1000:.0f} ms" if length >= 0.0005 else "<1 ms"
    return f"{start:.3f}–{end:.3f} s ({ms})"


def segment_detail(agent: AgentResult, index: int, calls: dict[int, ToolCallRecord] | None = None) -> Text:
    """``turn 3 · tool read_file greet.py ✓ · 12.40–13.05 s (0.65 s)`` for segment ``index``."""
    if not 0 <= index < len(agent.timeline):
        return Text("")
    seg = agent.timeline[index]
    text = Text.assemble((agent.display_name, "bold"), " · ")
    text.append(f"turn {seg.turn}" if seg.turn is not None else "before the start")
    text.append(" · ")
    if seg.kind == "tool":
        text.append(f"tool {seg.tool or '?'}", style="bold")
        call = (calls if calls is not None else calls_by_segment(agent)).get(index)
        if call is not None:
            if arg := key_argument(call.name, call.arguments):
                text.append(f" {arg}")
            text.append(" ✓" if call.ok else " ✗", style="bold")
    else:
        text.append(seg.kind, style="bold")
    text.append(f" · {span_text(seg.start_s, seg.end_s)}")
    text.append(f"   segment {index + 1}/{len(agent.timeline)}", style="dim")
    return text


class TimelineScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="timeline.back")]

    DEFAULT_CSS = """
    TimelineScreen #timeline-head { height: auto; padding: 0 1; }
    TimelineScreen #timeline-box { height: auto; max-height: 70%; }
    TimelineScreen #timeline-detail { height: 1; padding: 0 1; }
    TimelineScreen #timeline-shares { height: 1fr; }
    TimelineScreen #timeline-empty { padding: 1 2; }
    """

    def __init__(self, run: RunResult, agents: Sequence[AgentResult] | None = None,
                 verdict: Verdict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_result = run
        self.agents = list(agents) if agents is not None else ranked(run, verdict)
        self.timed = any(a.timeline for a in self.agents)
        self._calls = [calls_by_segment(a) for a in self.agents]
        self._shares = [shares_text(a.timeline) or "no event times" for a in self.agents]
        self._shares_for: int | None = None  # the agent the share panel highlights now

    def compose(self) -> ComposeResult:
        yield Header()
        run = self.run_result
        yield Static(Text.assemble(("Timeline ", "dim"), (run.task.title or run.task.id or "ad-hoc prompt", "bold"),
                                   (f" · run {run.run_id} · {len(self.agents)} agents", "dim")), id="timeline-head")
        if not self.timed:
            yield Static(Text(NO_TIMING if self.agents else "This run has no agents.", style="italic"),
                         id="timeline-empty")
        else:
            with VerticalScroll(id="timeline-box", classes="panel") as box:
                box.border_title = "Where the time went (shared time axis)"
                yield TimelineChart(self.agents, id="timeline-chart")
            yield Static(id="timeline-detail")
            with VerticalScroll(id="timeline-shares", classes="panel") as shares:
                shares.border_title = "Time share by kind"
                yield Static(id="timeline-share-lines")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "timeline"
        if self.timed:
            chart = self.query_one(TimelineChart)
            chart.focus()
            first = next(i for i, a in enumerate(self.agents) if a.timeline)
            chart.move_to(first, 0)

    def on_timeline_chart_moved(self, message: TimelineChart.Moved) -> None:
        agent = self.agents[message.agent]
        self.query_one("#timeline-detail", Static).update(
            segment_detail(agent, message.segment, self._calls[message.agent])
            if agent.timeline else Text(f"{agent.display_name}: no event times for this agent", style="dim"))
        self._show_shares(message.agent)

    def _show_shares(self, focused: int) -> None:
        if focused == self._shares_for:
            return
        self._shares_for = focused
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for i, a in enumerate(self.agents):
            style = "bold" if i == focused else "dim"
            grid.add_row(Text(a.display_name, style="bold" if i == focused else ""),
                         Text(self._shares[i], style=style))
        note = Text("queued and retry wait: time the scheduler or the provider made the agent wait, "
                    "left out of speed grades", style="dim italic")
        self.query_one("#timeline-share-lines", Static).update(Group(grid, note))
