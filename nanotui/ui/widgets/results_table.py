"""The ranking table on the results screen: one row per agent with checks, grades, wall,
TTFT, tokens and cost; sortable from the keyboard; space marks agents to see side by side."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from nanotui.engine.numbers import secs, usd
from nanotui.engine.results import AgentResult
from nanotui.engine.verdict.grading import POINTS, AgentGrades
from nanotui.ui.widgets.theme_colors import theme_color

GRADE_COLOURS = {"S": "success", "A": "success", "B": "accent", "C": "warning", "D": "warning", "F": "error"}


@dataclass(frozen=True)
class SortKey:
    name: str  # shown to the user
    key: Callable[[AgentResult, AgentGrades | None], Any]


def _missing_last(value: float | None) -> float:
    return math.inf if value is None else value


def _checks_share(a: AgentResult) -> float:
    return -(sum(c.passed for c in a.checks) / len(a.checks)) if a.checks else 1.0


SORT_KEYS: tuple[SortKey, ...] = (
    # The ranking itself: overall grade, then wall time, then cost (grading.rank_key).
    SortKey("rank", lambda a, g: g.rank if g is not None else math.inf),
    SortKey("performance", lambda a, g: (-POINTS[g.performance] if g and g.performance else 1, g.rank if g else 0)),
    SortKey("wall time", lambda a, g: a.wall_s),
    SortKey("TTFT", lambda a, g: _missing_last(a.ttft_s)),
    SortKey("cost", lambda a, g: _missing_last(a.cost_usd)),
    SortKey("tokens", lambda a, g: a.usage.input_tokens + a.usage.output_tokens),
    SortKey("checks", lambda a, g: (_checks_share(a), g.rank if g else 0)),
    SortKey("model", lambda a, g: a.display_name.lower()),
)

COLUMNS = (
    ("rank", "#"), ("model", "Model"), ("status", "Status"), ("checks", "Checks"),
    ("perf", "Perf"), ("speed", "Speed"), ("costg", "Cost"), ("overall", "Overall"),
    ("wall", "Wall s"), ("ttft", "TTFT s"), ("tok_in", "Tokens in"), ("tok_out", "Tokens out"),
)
# Below COMPACT_BELOW columns the table keeps these (the rest are in the highlighted agent's
# note, and w shows every column, scrolling sideways).
COMPACT_COLUMNS = ("rank", "model", "status", "perf", "costg", "overall", "wall")
COMPACT_BELOW = 120
COMPACT_MODEL_WIDTH = 18
MAX_MARKED = 4  # agents side by side
MARK = "◆ "
# The column that shows each sort's figure gets the ▲/▼ mark.
SORT_COLUMN = {"rank": "rank", "performance": "perf", "wall time": "wall", "TTFT": "ttft", "cost": "costg",
               "tokens": "tok_in", "checks": "checks", "model": "model"}


def trial_numbers(agents: list[AgentResult]) -> dict[str, int]:
    """Agent id -> its trial number (1, 2, …) among the agents of the same model, for models
    run more than once; numbered in run order, as the history numbers them."""
    totals: dict[str, int] = {}
    for a in agents:
        totals[a.model] = totals.get(a.model, 0) + 1
    seen: dict[str, int] = {}
    numbers: dict[str, int] = {}
    for a in agents:
        seen[a.model] = seen.get(a.model, 0) + 1
        if totals[a.model] > 1:
            numbers[a.agent_id] = seen[a.model]
    return numbers


def hidden_figures(a: AgentResult, g: AgentGrades | None) -> Text:
    """What the compact table leaves out, for the highlighted agent's note."""
    checks = f"{sum(c.passed for c in a.checks)}/{len(a.checks)}" if a.checks else "–"
    return Text(f"checks {checks} · speed {(g.speed if g else None) or '–'} · TTFT {secs(a.ttft_s)} s · "
                f"tokens {a.usage.input_tokens:,} in / {a.usage.output_tokens:,} out"
                " · w: all columns", style="dim")


class ResultsTable(DataTable[Any]):
    BINDINGS = [
        Binding("enter", "open", "Details", id="results.open"),
        Binding("s", "next_sort", "Sort by…", id="results.next_sort"),
        Binding("S", "reverse_sort", "Reverse", id="results.reverse_sort"),
        Binding("w", "toggle_columns", "All columns", id="results.toggle_columns"),
        Binding("space", "mark", "Mark", id="results.mark"),
    ]

    class Open(Message):
        def __init__(self, agent_id: str) -> None:
            super().__init__()
            self.agent_id = agent_id

    class MarksChanged(Message):
        def __init__(self, marked: int) -> None:
            super().__init__()
            self.marked = marked

    class SortChanged(Message):
        def __init__(self, name: str, reverse: bool) -> None:
            super().__init__()
            self.name = name
            self.reverse = reverse

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.agents: list[AgentResult] = []
        self.grades: dict[str, AgentGrades] = {}
        self.trials: dict[str, int] = {}
        self.all_columns: bool | None = None  # None: by the width (compact when narrow)
        self._compact = False
        self.sort_index = 0
        self.reverse = False
        self.marked: set[str] = set()  # agent ids marked for side by side

    @property
    def compact(self) -> bool:
        """Whether the table leaves out the less important columns now."""
        if self.all_columns is not None:
            return not self.all_columns
        return 0 < self.app.size.width < COMPACT_BELOW

    def on_resize(self) -> None:
        if self.compact != self._compact:
            self._fill()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # w matters only where the table is compact (or was widened with w).
        if action == "toggle_columns":
            return self.compact or self.all_columns is True
        return True

    def action_toggle_columns(self) -> None:
        self.all_columns = self.compact
        self._fill()
        self.refresh_bindings()
        self.post_message(self.ColumnsChanged(self.compact))

    class ColumnsChanged(Message):
        def __init__(self, compact: bool) -> None:
            super().__init__()
            self.compact = compact

    def on_mount(self) -> None:
        self._fill()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill())

    def show(self, agents: list[AgentResult], grades: list[AgentGrades]) -> None:
        self.agents = list(agents)
        self.grades = {g.agent_id: g for g in grades}
        self.trials = trial_numbers(self.agents)
        self._fill()

    @property
    def sort(self) -> SortKey:  # type: ignore[override]  # shadows DataTable.sort, which this table never calls
        return SORT_KEYS[self.sort_index]

    def ordered(self) -> list[AgentResult]:
        key = self.sort.key
        return sorted(self.agents, key=lambda a: key(a, self.grades.get(a.agent_id)), reverse=self.reverse)

    @property
    def highlighted_agent_id(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def _grade(self, grade: str | None, *, g: AgentGrades | None = None) -> Text:
        basis = g.basis if g is not None else None
        if grade is None:
            return Text("unscored" if basis == "unscored" else "–", style="dim", justify="center")
        text = Text(grade, style=f"bold {theme_color(self, GRADE_COLOURS[grade])}", justify="center")
        if basis == "checks":
            text.append("ᶜ", style="dim")  # performance from checks only
        if g is not None and g.capped_by_checks:
            text.append("⚑", style=theme_color(self, "warning"))  # the judge said more; a check failed
        if g is not None and g.position_consistent is False:
            text.append("↕", style=theme_color(self, "warning"))  # graded differently when the order was swapped
        return text

    def _cost_grade(self, grade: str | None, cost: float | None) -> Text:
        """The cost grade with the absolute cost beside it: a grade alone can mislead."""
        text = self._grade(grade)
        text.append(f" {usd(cost)}", style="dim")
        return text

    def _row(self, a: AgentResult) -> list[Any]:
        g = self.grades.get(a.agent_id)
        status_colour = "success" if a.status == "ok" else "error"
        status = Text(a.status, style=theme_color(self, status_colour))
        if a.stop_reason == "max_tokens":
            status.append(" (max_tokens)", style="dim")
        if a.checks:
            passed = sum(c.passed for c in a.checks)
            colour = "success" if passed == len(a.checks) else "warning" if passed else "error"
            checks = Text(f"{passed}/{len(a.checks)}", style=theme_color(self, colour), justify="right")
        else:
            checks = Text("–", style="dim", justify="right")
        right: dict[str, Any] = {"justify": "right"}
        return [
            Text(str(g.rank) if g else "", **right),
            Text.assemble((MARK if a.agent_id in self.marked else "", f"bold {theme_color(self, 'accent')}"),
                          a.display_name + (f" #{self.trials[a.agent_id]}" if a.agent_id in self.trials else "")),
            status,
            checks,
            self._grade(g.performance if g else None, g=g),
            self._grade(g.speed if g else None),
            self._cost_grade(g.cost if g else None, a.cost_usd),
            self._grade(g.overall if g else None),
            Text(secs(a.wall_s), **right),
            Text(secs(a.ttft_s), **right),
            Text(f"{a.usage.input_tokens:,}", **right),
            Text(f"{a.usage.output_tokens:,}", **right),
        ]

    def _fill(self) -> None:
        """Rebuild columns and rows. Column widths are set from the cells here, not
        measured later by the table, so what is drawn never lags behind what was set."""
        keep = self.highlighted_agent_id
        marked = SORT_COLUMN[self.sort.name]
        self._compact = compact = self.compact
        shown = [i for i, (key, _) in enumerate(COLUMNS) if not compact or key in COMPACT_COLUMNS]
        columns = [COLUMNS[i] for i in shown]
        labels = [Text(label + (("▼" if self.reverse else "▲") if key == marked else " ")) for key, label in columns]
        rows = []
        for agent in self.ordered():
            row = self._row(agent)
            cells = [row[i] for i in shown]
            if compact:
                cells[1].truncate(COMPACT_MODEL_WIDTH, overflow="ellipsis")
            rows.append((agent.agent_id, cells))
        self.clear(columns=True)
        for i, ((key, _), label) in enumerate(zip(columns, labels)):
            width = max([label.cell_len, *(cells[i].cell_len for _, cells in rows)])
            self.add_column(label, key=key, width=width)
        for agent_id, cells in rows:
            self.add_row(*cells, key=agent_id)
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep))

    def action_next_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORT_KEYS)
        self.reverse = False
        self._fill()
        self.post_message(self.SortChanged(self.sort.name, self.reverse))

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self._fill()
        self.post_message(self.SortChanged(self.sort.name, self.reverse))

    def action_open(self) -> None:
        agent_id = self.highlighted_agent_id
        if agent_id is not None:
            self.post_message(self.Open(agent_id))

    def marked_agents(self) -> list[AgentResult]:
        """The marked agents, in the table's order."""
        return [a for a in self.ordered() if a.agent_id in self.marked]

    def action_mark(self) -> None:
        agent_id = self.highlighted_agent_id
        if agent_id is None:
            return
        if agent_id in self.marked:
            self.marked.discard(agent_id)
        elif len(self.marked) >= MAX_MARKED:
            self.notify(f"Side by side takes up to {MAX_MARKED} agents: unmark one with space first.",
                        severity="warning")
            return
        else:
            self.marked.add(agent_id)
        self._fill()
        self.post_message(self.MarksChanged(len(self.marked)))
