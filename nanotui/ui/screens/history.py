"""Stored runs, newest first; enter opens one on its results screen (export from there)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

if TYPE_CHECKING:
    from nanotui.engine.history.reader import RunSummary
    from nanotui.engine.history.store import RunStore

MODELS_WIDTH = 44


def models_cell(models: list[str]) -> Text:
    """Model names without their provider, as many as fit, then "+N"."""
    names = [m.partition(":")[2] or m for m in models]
    shown: list[str] = []
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        candidate = ", ".join([*shown, name]) + (f" +{rest}" if rest else "")
        if len(candidate) > MODELS_WIDTH and shown:
            return Text(", ".join(shown) + f" +{len(names) - len(shown)}")
        shown.append(name)
    return Text(", ".join(shown))


class HistoryTable(DataTable[Any]):
    BINDINGS = [Binding("enter", "open", "Open results", id="history.open")]

    def action_open(self) -> None:
        if self.row_count:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
            self.screen.open_run(row_key.value)  # type: ignore[attr-defined]


class HistoryScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="history.back")]

    def __init__(self, store: RunStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="history-box", classes="panel") as box:
            box.border_title = "Stored runs"
            yield HistoryTable(id="history-table", cursor_type="row")
            yield Static(id="history-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "history"
        table = self.query_one(HistoryTable)
        table.add_column("Started (UTC)", key="started")
        table.add_column("Run", key="run")
        table.add_column("Task", key="task")
        table.add_column("Models", key="models")
        table.add_column("Agents", key="agents")
        table.add_column("Status", key="status")
        table.add_column("Judge", key="judge")
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    def reload(self) -> None:
        table = self.query_one(HistoryTable)
        keep = None
        if table.row_count:
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        runs = self.store.list_runs()
        for r in runs:
            table.add_row(*self._cells(r), key=r.run_id)
        if keep is not None and any(r.run_id == keep for r in runs):
            table.move_cursor(row=table.get_row_index(keep))
        empty = self.query_one("#history-empty", Static)
        empty.display = not runs
        empty.update(f"No stored runs yet in {self.store.path}. Runs from the arena and `nanotui run` appear here.")

    def _cells(self, r: RunSummary) -> list[Any]:
        task = r.task_title or r.task_id or (r.prompt.splitlines()[0][:40] if r.prompt.strip() else "ad-hoc prompt")
        status = Text(r.status, style="bold" if r.status == "interrupted" else "")
        return [
            Text(r.started_at.replace("T", " ").removesuffix("+00:00")),
            Text(r.run_id, style="dim"),
            Text(task),
            models_cell(r.models),
            Text(f"{r.agents_finished}/{r.agents_total}", justify="right"),
            status,
            Text((r.judge.partition(":")[2] or r.judge) if r.judge else "–", style="dim"),
        ]

    def open_run(self, run_id: str) -> None:
        from nanotui.engine.errors import NanotuiError

        try:
            run = self.store.load_run(run_id)
        except NanotuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.show_results(run, stored=True)  # type: ignore[attr-defined]
