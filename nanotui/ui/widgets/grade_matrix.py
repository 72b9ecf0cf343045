"""The models × tasks matrix of a suite: each cell a model's grade on a task, coloured like the
results table; the cursor moves between cells and enter opens that task's results."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from nanotui.engine.verdict.leaderboard import Leaderboard
from nanotui.ui.widgets.results_table import GRADE_COLOURS
from nanotui.ui.widgets.theme_colors import theme_color

TASK_LABEL_WIDTH = 14  # a task id is cut to this; past the width, columns are numbered instead


class GradeMatrix(DataTable[Any]):
    BINDINGS = [Binding("enter", "open", "Open task results", id="leaderboard.open_task")]

    class Open(Message):
        def __init__(self, task_id: str) -> None:
            super().__init__()
            self.task_id = task_id

    class Moved(Message):
        """The cursor is on another cell: the screen's detail line follows it."""

        def __init__(self, model: str, task_id: str) -> None:
            super().__init__()
            self.model = model
            self.task_id = task_id

    def __init__(self, board: Leaderboard, **kwargs: Any) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=False, **kwargs)
        self.board = board
        self.numbered: bool | None = None  # decided from the width when first laid out

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill())

    def on_resize(self) -> None:
        numbered = self._needs_numbers()
        if numbered != self.numbered:
            self._fill()

    def show(self, board: Leaderboard) -> None:
        self.board = board
        self._fill()

    def _needs_numbers(self) -> bool:
        """Task ids as column labels when they all fit, else the task's number (1, 2, …)."""
        label = max((len(r.display_name) for r in self.board.rows), default=5) + 2
        wide = sum(min(len(t), TASK_LABEL_WIDTH) + 2 for t in self.board.tasks)
        return label + wide > max(self.size.width, 1)

    def _cell(self, grade: str | None) -> Text:
        if grade is None:
            return Text("–", style="dim", justify="center")
        return Text(grade, style=f"bold {theme_color(self, GRADE_COLOURS[grade])}", justify="center")

    def _fill(self) -> None:
        keep = self.cursor_coordinate
        self.numbered = self._needs_numbers()
        self.clear(columns=True)
        for i, task in enumerate(self.board.tasks, start=1):
            label = str(i) if self.numbered else task[:TASK_LABEL_WIDTH]
            self.add_column(Text(label, justify="center"), key=task, width=max(len(label), 1))
        for row in self.board.rows:
            self.add_row(*(self._cell(row.grades_by_task.get(t)) for t in self.board.tasks),
                         key=row.model, label=Text(row.display_name))
        if self.row_count and self.columns:
            self.move_cursor(row=min(keep.row, self.row_count - 1), column=min(keep.column, len(self.columns) - 1))

    @property
    def current(self) -> tuple[str, str] | None:
        """(model, task id) under the cursor."""
        if not self.row_count or not self.columns:
            return None
        cell = self.coordinate_to_cell_key(self.cursor_coordinate)
        return str(cell.row_key.value), str(cell.column_key.value)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        current = self.current
        if current is not None:
            self.post_message(self.Moved(*current))

    def action_open(self) -> None:
        current = self.current
        if current is not None:
            self.post_message(self.Open(current[1]))
