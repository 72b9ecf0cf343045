"""The task ladder on the home screen: level and title per task; typing filters it; space
marks tasks to run several as a suite, L marks the whole built-in ladder."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static


def ladder_task_ids() -> list[str]:
    """The built-in ladder suite's tasks (``tasks/ladder.suite.toml``); none if it is broken."""
    from nanotui.engine.errors import NanotuiError
    from nanotui.engine.run.suite import load_suite

    try:
        tasks = load_suite("ladder").tasks
    except NanotuiError:
        return []
    return list(tasks) if isinstance(tasks, list) else []


def task_matches(task: Any, query: str) -> bool:
    """Every word of the query appears in the task's id, title or level ("l3" finds level 3)."""
    haystack = f"{task.id} {task.title} l{task.level} level {task.level}".lower()
    return all(word in haystack for word in query.lower().split())


class TaskTable(DataTable[Any]):
    """Rows are tasks (row key = task id). Printable keys edit the filter instead of
    triggering bindings, so "type to filter" works without moving focus."""

    BINDINGS = [
        Binding("enter", "choose", "Choose task", id="tasks.choose"),
        # space and L are printable: on_key routes them here before the filter sees them.
        Binding("space", "mark", "Mark task", id="tasks.mark"),
        Binding("L", "mark_ladder", "Mark ladder", id="tasks.mark_ladder"),
        Binding("backspace", "filter_back", "Filter ⌫", show=False, id="tasks.filter_back"),
        Binding("escape", "filter_clear", "Clear filter", show=False, id="tasks.filter_clear"),
    ]

    class Chosen(Message):
        def __init__(self, task_id: str) -> None:
            super().__init__()
            self.task_id = task_id

    class MarkRequested(Message):
        def __init__(self, task_id: str | None, ladder: bool = False) -> None:
            super().__init__()
            self.task_id = task_id
            self.ladder = ladder

    class FilterEdited(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.filter_text = ""
        # Until the first layout says how much room there is, titles are not cut: on a wide
        # terminal the first fill is then the last (the cut changes nothing).
        self.title_width = 10_000

    def on_resize(self) -> None:
        # Titles are cut to the room left by the other columns: never a sideways scrollbar.
        room = self.scrollable_content_region.width - 1 - 3 - 6 - 8 * self.cell_padding
        width = max(10, room)
        if width != self.title_width:
            self.title_width = width
            self.post_message(self.Resized())

    class Resized(Message):
        pass

    def on_key(self, event: events.Key) -> None:
        if event.key in ("space", "L"):
            return  # the bindings: mark a task, mark the ladder
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self._set_filter(self.filter_text + event.character)

    def action_filter_back(self) -> None:
        if self.filter_text:
            self._set_filter(self.filter_text[:-1])

    def action_filter_clear(self) -> None:
        if self.filter_text:
            self._set_filter("")

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        self.post_message(self.FilterEdited(text))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Shown in the footer only when they would do something.
        if action in ("filter_back", "filter_clear"):
            return bool(self.filter_text)
        return True

    @property
    def highlighted_task_id(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def action_mark(self) -> None:
        self.post_message(self.MarkRequested(self.highlighted_task_id))

    def action_mark_ladder(self) -> None:
        self.post_message(self.MarkRequested(None, ladder=True))

    def action_choose(self) -> None:
        task_id = self.highlighted_task_id
        if task_id is not None:
            self.post_message(self.Chosen(task_id))


class TaskPicker(Vertical):
    """The filter line and the table of tasks."""

    class Highlighted(Message):
        def __init__(self, task: Any | None) -> None:
            super().__init__()
            self.task = task

    class MarksChanged(Message):
        """The marked tasks changed (in ladder order): two or more run as a suite."""

        def __init__(self, marked: list[str]) -> None:
            super().__init__()
            self.marked = marked

    def __init__(self, tasks: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasks = sorted(tasks, key=lambda t: (t.level, t.id))
        self._by_id = {t.id: t for t in self.tasks}
        self.border_title = "Tasks"
        self.marked: set[str] = set()
        self._shown: list[Any] = []  # the tasks the table lists (the filter's matches)
        self._filled_width = 0  # the title column's width at the last fill

    @property
    def marked_ids(self) -> list[str]:
        """The marked tasks in the order the list shows them (level, then id)."""
        return [t.id for t in self.tasks if t.id in self.marked]

    def set_marked(self, task_ids: set[str]) -> None:
        self.marked = {t for t in task_ids if t in self._by_id}
        self._fill(self.table.filter_text)
        self.post_message(self.MarksChanged(self.marked_ids))

    def on_task_table_mark_requested(self, message: TaskTable.MarkRequested) -> None:
        message.stop()
        if message.ladder:
            ladder = set(ladder_task_ids()) & set(self._by_id)
            # L again, with the whole ladder marked, clears the marks.
            self.set_marked(set() if ladder and ladder <= self.marked else self.marked | ladder)
        elif message.task_id is not None:
            self.set_marked(self.marked ^ {message.task_id})

    def compose(self) -> ComposeResult:
        yield Static(self._filter_line(""), id="task-filter")
        yield TaskTable(id="task-table")

    @property
    def table(self) -> TaskTable:
        return self.query_one(TaskTable)

    def on_mount(self) -> None:
        self._fill("")

    def task(self, task_id: str | None) -> Any | None:  # type: ignore[override]  # shadows MessagePump.task (its asyncio task), unused on widgets
        return self._by_id.get(task_id) if task_id else None

    @property
    def highlighted(self) -> Any | None:
        return self.task(self.table.highlighted_task_id)

    def select(self, task_id: str) -> bool:
        """Move the cursor to a task (used to restore the last selection)."""
        table = self.table
        try:
            index = table.get_row_index(task_id)
        except Exception:
            return False
        table.move_cursor(row=index)
        return True

    def _filter_line(self, text: str) -> Text:
        if not text:
            return Text("type to filter", style="dim italic")
        return Text.assemble(("filter: ", "dim"), (text, "bold"), ("▏", "reverse"))

    def on_task_table_resized(self, message: TaskTable.Resized) -> None:
        message.stop()
        if self._cut_width(self.table.title_width) != self._filled_width:
            self._fill(self.table.filter_text)

    def _cut_width(self, room: int) -> int:
        """How wide the title column is with ``room`` for titles (the longest title shown, or
        the room when that is narrower)."""
        return min(room, max((cell_len(t.title) for t in self._shown), default=0))

    def on_task_table_filter_edited(self, message: TaskTable.FilterEdited) -> None:
        message.stop()
        self.query_one("#task-filter", Static).update(self._filter_line(message.text))
        self._fill(message.text)

    def _fill(self, query: str) -> None:
        """Rebuild the table for ``query``. Column widths are set here (titles cut to the
        room there is), not measured later by the table."""
        table = self.table
        keep = table.highlighted_task_id
        shown = [t for t in self.tasks if not query or task_matches(t, query)]
        self._shown = shown
        self._filled_width = self._cut_width(table.title_width)
        titles = []
        for task in shown:
            title = Text(task.title)
            title.truncate(table.title_width, overflow="ellipsis")
            titles.append(title)
        table.clear(columns=True)
        table.add_column("", key="mark", width=1)
        table.add_column("Lvl", key="level", width=3)
        table.add_column("Task", key="title", width=max([4, *(t.cell_len for t in titles)]))
        table.add_column("Checks", key="checks", width=6)
        for task, title in zip(shown, titles):
            checks_cell = Text(f"{len(task.checks)}{'⚙' if task.has_command_check else ''}", justify="right")
            mark = Text("●", style="bold") if task.id in self.marked else Text(" ")
            table.add_row(mark, Text(str(task.level), justify="right"), title, checks_cell, key=task.id)
        if keep is not None:
            self.select(keep)
        self.post_message(self.Highlighted(self.highlighted))

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        message.stop()
        self.post_message(self.Highlighted(self.task(message.row_key.value)))
