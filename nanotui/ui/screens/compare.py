"""Side by side: two to four agents' traces in columns, aligned by turn (the alignment and the
first turn where their paths parted come from ``engine/report/compare.py``), then their final
answers and workspace diffs beside each other.

Opened with ``c`` on the results screen once two to four agents are marked with space. When
the run is in the history, each turn's text comes from its stored events; without them a turn
with no tool call is left blank and the final answer row still shows what each agent said.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from nanotui.engine.report.compare import MAX_AGENTS, AgentTrace, Comparison, TurnSteps, compare_agents, turn_texts
from nanotui.engine.results import AgentResult, RunResult
from nanotui.ui.widgets.theme_colors import theme_color

if TYPE_CHECKING:
    from nanotui.engine.history.store import RunStore

FEWER_MARKED = "Mark two to four agents with space, then press c to see them side by side."
LABEL_WIDTH = 8  # the row labels' column: "turn 12", "answer"
COLUMN_WIDTH = 30  # below this per agent, the columns scroll sideways
ANSWER_LINES = 8
DIVERGES = "≠"  # marks the turn where the paths part


def stored_texts(store: RunStore, run_id: str, agents: Sequence[AgentResult]) -> dict[str, dict[int, str]]:
    """Each agent's text per turn from the stored events (empty for an agent with none)."""
    return {a.agent_id: turn_texts(store.events(run_id, a.agent_id)) for a in agents}


def open_compare(screen: Screen[Any], run: RunResult, agents: Sequence[AgentResult], store: RunStore | None) -> None:
    """Push the side-by-side screen for ``agents`` (the marked ones), or say how to mark them."""
    if not 2 <= len(agents) <= MAX_AGENTS:
        screen.notify(FEWER_MARKED, severity="warning")
        return
    texts = stored_texts(store, run.run_id, agents) if store is not None else None
    screen.app.push_screen(CompareScreen(run, compare_agents(agents, texts)))


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


class CompareView(ScrollableContainer, can_focus=True):
    """The scrolling table; left/right move a column at a time when it is wider than the view."""

    BINDINGS = [
        Binding("pagedown", "page_down", "Page", key_display="PgDn/PgUp", id="compare.page"),
        Binding("left", "column(-1)", "Column", key_display="←→", id="compare.left"),
        Binding("right", "column(1)", "Column", show=False, id="compare.right"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # ←→ only mean something when the columns are wider than the view.
        if action == "column":
            return self.max_scroll_x > 0
        return True

    def on_resize(self) -> None:
        self.refresh_bindings()  # ←→ come and go with the sideways scroll

    def action_column(self, delta: int) -> None:
        self.scroll_to(x=max(0.0, self.scroll_x + delta * (COLUMN_WIDTH + 1)), animate=False)


class CompareScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="compare.back")]

    DEFAULT_CSS = """
    CompareScreen #compare-head { height: auto; padding: 0 1; }
    CompareScreen #compare-view { height: 1fr; }
    CompareScreen #compare-table { width: 100%; }
    """

    def __init__(self, run: RunResult, comparison: Comparison, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_result = run
        self.comparison = comparison

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._head(), id="compare-head")
        with CompareView(id="compare-view", classes="panel") as view:
            view.border_title = "Side by side, aligned by " + ("tool call" if self.comparison.by_call else "turn")
            yield Static(id="compare-table")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "side by side"
        # As wide as the view, and never narrower than the columns need: below that the
        # view scrolls sideways.
        table = self.query_one("#compare-table", Static)
        table.styles.min_width = LABEL_WIDTH + len(self.comparison.agents) * (COLUMN_WIDTH + 1) + 1
        self._draw()
        self.query_one(CompareView).focus()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw())

    # -- what is drawn -------------------------------------------------------------------

    def _head(self) -> Text:
        c, run = self.comparison, self.run_result
        text = Text.assemble(("Side by side ", "dim"), (run.task.title or run.task.id or "ad-hoc prompt", "bold"),
                             (f" · run {run.run_id} · ", "dim"))
        row = "call" if c.by_call else "turn"
        if c.first_divergence is None:
            text.append(f"the same path every {row}", style="bold")
        else:
            text.append(f"{DIVERGES} paths part at {row} {c.first_divergence}", style="bold")
        if c.by_call:
            text.append(" · this run did not record turns: aligned call by call", style="dim")
        return text

    def _steps_cell(self, turn: TurnSteps | None) -> Text:
        if turn is None:
            return Text("—", style="dim")
        ok, bad = theme_color(self, "success"), f"bold {theme_color(self, 'error')}"
        text = Text()
        for step in turn.steps:
            if text:
                text.append("\n")
            text.append(step.tool, style="bold")
            if step.argument:
                text.append(f" {step.argument}")
            text.append(" ✓" if step.ok else " ✗", style=ok if step.ok else bad)
        if not turn.steps:
            line = first_line(turn.text)
            text.append(line if line else "(no tool call)", style="italic" if line else "dim")
        return text

    def _answer_cell(self, agent: AgentTrace) -> Text:
        lines = [line for line in agent.final_answer.strip().splitlines()]
        if not lines:
            return Text("(no final answer)" if agent.status == "ok" else f"({agent.status}, no final answer)",
                        style="dim")
        text = Text("\n".join(lines[:ANSWER_LINES]))
        if len(lines) > ANSWER_LINES:
            text.append(f"\n… {len(lines) - ANSWER_LINES} more lines", style="dim")
        return text

    def _diffs_cell(self, agent: AgentTrace) -> Text:
        if not agent.file_diffs:
            return Text("(no files changed)", style="dim")
        add, remove = theme_color(self, "success"), theme_color(self, "error")
        text = Text()
        for path, diff in agent.file_diffs.items():
            if text:
                text.append("\n")
            text.append(path, style="bold underline")
            for line in diff.splitlines():
                if line.startswith(("+++", "---")):
                    continue
                style = "dim" if line.startswith("@@") else add if line.startswith("+") else \
                    remove if line.startswith("-") else ""
                text.append("\n" + line, style=style)
        return text

    def table(self) -> Table:
        c = self.comparison
        accent, warn = theme_color(self, "accent"), theme_color(self, "warning")
        table = Table(box=box.SIMPLE_HEAD, expand=True, show_lines=True, padding=(0, 1), pad_edge=False)
        table.add_column("", width=LABEL_WIDTH, no_wrap=True, style="dim")
        for agent in c.agents:
            head = Text.assemble((agent.display_name, f"bold {accent}"), "\n", (agent.model, "dim"))
            if agent.status != "ok":
                head.append(f" · {agent.status}", style=f"bold {theme_color(self, 'error')}")
            table.add_column(head, min_width=COLUMN_WIDTH - 2, ratio=1, overflow="fold")
        row = "call" if c.by_call else "turn"
        for n in range(1, c.rows + 1):
            label = Text(f"{row} {n}")
            if n == c.first_divergence:
                label = Text(f"{row} {n} {DIVERGES}\nparts", style=f"bold {warn}")
            table.add_row(label, *(self._steps_cell(a.at(n)) for a in c.agents))
        table.add_row(Text("answer", style="bold"), *(self._answer_cell(a) for a in c.agents))
        table.add_row(Text("diffs", style="bold"), *(self._diffs_cell(a) for a in c.agents))
        return table

    def _draw(self) -> None:
        self.query_one("#compare-table", Static).update(Group(self.table()))
