"""A suite's Leaderboard: the models × tasks matrix of grades (enter opens that task's results)
above the ranking across the suite with its 95 % intervals, and the note that says whether
there is a clear winner. Reached from History (a suite row) and after a suite runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from nanotui.ui.widgets.grade_matrix import GradeMatrix
from nanotui.ui.widgets.leaderboard_table import LeaderboardTable
from nanotui.ui.widgets.theme_colors import theme_color

if TYPE_CHECKING:
    from nanotui.engine.results import RunResult
    from nanotui.engine.verdict.leaderboard import Leaderboard, SuiteOutcome
    from nanotui.ui.judging import JudgeJob


class LeaderboardScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="leaderboard.back")]

    def __init__(self, outcome: SuiteOutcome, *, title: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outcome = outcome
        self.board: Leaderboard = outcome.board()
        self.title_text = title or outcome.suite_id
        self.runs: dict[str, RunResult] = {run.task.id or run.run_id: run for run in outcome.runs}

    @property
    def suite_id(self) -> str:
        return self.outcome.suite_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._head(), id="leaderboard-head")
        with Vertical(id="matrix-box", classes="panel") as box:
            box.border_title = "Grades: models × tasks"
            yield GradeMatrix(self.board, id="grade-matrix")
        yield Static(id="leaderboard-detail")
        with Vertical(id="board-box", classes="panel") as box:
            box.border_title = "Leaderboard"
            yield LeaderboardTable(self.board, id="leaderboard-table")
        yield Static(self._note(), id="leaderboard-note")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "leaderboard"
        self.query_one(GradeMatrix).focus()

    def _head(self) -> Text:
        o = self.outcome
        text = Text(self.title_text, style="bold")
        agents = sum(len(r.agents) for r in o.runs)
        text.append(f" · {len(o.tasks)} tasks × {len(o.models)} models · {agents} agents · {o.status}", style="")
        text.append(f" · {o.suite_id}", style="dim")
        return text

    def _note(self) -> Text:
        # The note says in words whether there is a winner; its colour says it at a glance.
        colour = theme_color(self, "success" if self.board.clear_winner else "warning")
        return Text(self.board.note[:1].upper() + self.board.note[1:], style=colour)

    def judge_updated(self, job: JudgeJob) -> None:
        """A judge of one of the suite's task runs is done: rank again with its grades."""
        if not job.done:
            return
        from nanotui.engine.errors import NanotuiError
        from nanotui.ui.suites import stored_suite

        store = getattr(self.app, "store", None)
        if store is None:
            return
        try:
            outcome = stored_suite(store, self.suite_id)
        except NanotuiError:
            return
        self.outcome = outcome
        self.board = outcome.board()
        self.runs = {run.task.id or run.run_id: run for run in outcome.runs}
        self.query_one(GradeMatrix).show(self.board)
        self.query_one(LeaderboardTable).show(self.board)
        self.query_one("#leaderboard-note", Static).update(self._note())
        self.query_one("#leaderboard-head", Static).update(self._head())

    @property
    def run_ids(self) -> set[str]:
        return {run.run_id for run in self.outcome.runs}

    def on_grade_matrix_moved(self, message: GradeMatrix.Moved) -> None:
        self.query_one("#leaderboard-detail", Static).update(self._detail(message.model, message.task_id))

    def _detail(self, model: str, task_id: str) -> Text:
        row = next((r for r in self.board.rows if r.model == model), None)
        number = self.board.tasks.index(task_id) + 1 if task_id in self.board.tasks else 0
        run = self.runs.get(task_id)
        text = Text(f"task {number}/{len(self.board.tasks)} ", style="dim")
        text.append(task_id, style="bold")
        if run is not None and run.task.title:
            text.append(f" {run.task.title}")
        if row is not None:
            text.append(" · ")
            text.append(row.display_name, style="bold")
            text.append(f": {row.grades_by_task.get(task_id) or 'ungraded'}")
        text.append(" · enter: results", style="dim")
        return text

    def on_grade_matrix_open(self, message: GradeMatrix.Open) -> None:
        run = self.runs.get(message.task_id)
        if run is None:
            self.notify(f"task {message.task_id} has no stored run", severity="warning")
            return
        self.app.show_results(run, stored=True)  # type: ignore[attr-defined]
