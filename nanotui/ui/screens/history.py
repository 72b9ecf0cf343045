"""Stored suites and runs, newest first: enter opens a suite's Leaderboard or a run's results
(export from there); p replays a run in the arena (a suite: its first task run); d removes the
highlighted suite or run for good, after a confirmation.

A suite is one row (its task runs are not listed again); a model run in several trials is
written once with its count ("gpt-5-nano ×3"), as the report writes it. Below ~120 columns the
table keeps the columns that matter first and the detail line carries the rest."""

from __future__ import annotations

from dataclasses import dataclass
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
    from nanotui.engine.history.suites import SuiteSummary
    from nanotui.engine.results import RunResult

MODELS_WIDTH = 40
NARROW_MODELS_WIDTH = 24
WIDE_FROM = 120  # columns: below this, the run id and the judge move to the detail line
SUITE_KEY = "suite:"  # row keys: a suite's is its id behind this, a run's is its run id


def model_counts(models: list[str]) -> list[str]:
    """Model names without their provider, in first-seen order, a repeat written once with
    its count: ``["gpt-5-nano ×3", "claude-3-haiku"]``."""
    counts: dict[str, int] = {}
    for m in models:
        name = m.partition(":")[2] or m
        counts[name] = counts.get(name, 0) + 1
    return [name + (f" ×{n}" if n > 1 else "") for name, n in counts.items()]


def models_cell(models: list[str], width: int = MODELS_WIDTH) -> Text:
    """As many models as fit in ``width``, then "+N"."""
    names = model_counts(models)
    shown: list[str] = []
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        candidate = ", ".join([*shown, name]) + (f" +{rest}" if rest else "")
        if len(candidate) > width and shown:
            return Text(", ".join(shown) + f" +{len(names) - len(shown)}")
        shown.append(name)
    return Text(", ".join(shown))


@dataclass(frozen=True)
class HistoryRow:
    """One line of the table: a plain run, or a suite with its task runs."""

    key: str
    started_at: str
    ident: str
    what: str  # the task, or the suite's name and task count
    models: list[str]
    finished: int
    total: int
    status: str
    judge: str | None
    suite: SuiteSummary | None = None

    @property
    def run_ids(self) -> list[str]:
        return list(self.suite.run_ids) if self.suite is not None else [self.key]


def history_rows(store: RunStore) -> list[HistoryRow]:
    """Suites and the runs that belong to none, newest first."""
    runs = store.list_runs()
    by_id = {r.run_id: r for r in runs}
    rows: list[HistoryRow] = []
    in_suites: set[str] = set()
    for s in store.list_suites():
        parts = [by_id[i] for i in s.run_ids if i in by_id]
        in_suites.update(s.run_ids)
        tasks = [str(t) for t in s.spec.get("tasks", [])] or [p.task_id or p.run_id for p in parts]
        what = f"{s.name} · {len(tasks)} tasks" if s.name else f"{len(tasks)} tasks: {', '.join(tasks)}"
        trials = int(s.spec.get("trials") or 1)
        models = [str(m) for m in s.spec.get("models", [])] or list(dict.fromkeys(m for p in parts for m in p.models))
        judges = {p.judge for p in parts if p.judge}
        rows.append(HistoryRow(SUITE_KEY + s.suite_id, s.started_at, s.suite_id, what,
                               [m for m in models for _ in range(trials)],
                               sum(p.agents_finished for p in parts), sum(p.agents_total for p in parts), s.status,
                               judges.pop() if len(judges) == 1 else ("several" if judges else None), suite=s))
    for r in runs:
        if r.run_id not in in_suites:
            rows.append(_run_row(r))
    rows.sort(key=lambda row: row.started_at, reverse=True)
    return rows


def _run_row(r: RunSummary) -> HistoryRow:
    task = r.task_title or r.task_id or (r.prompt.splitlines()[0][:40] if r.prompt.strip() else "ad-hoc prompt")
    return HistoryRow(r.run_id, r.started_at, r.run_id, task, r.models, r.agents_finished, r.agents_total,
                      r.status, r.judge)


class HistoryTable(DataTable[Any]):
    BINDINGS = [
        Binding("enter", "open", "Open", id="history.open"),
        Binding("t", "timeline", "Timeline", id="history.timeline"),
        Binding("d", "delete", "Delete", id="history.delete"),
        Binding("p", "replay", "Replay", id="history.replay"),
    ]

    @property
    def highlighted_key(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def _on_row(self, method: str) -> None:
        """Hand the highlighted row to the screen's ``method`` (nothing when the table is empty)."""
        key = self.highlighted_key
        if key is not None:
            getattr(self.screen, method)(key)

    def action_open(self) -> None:
        self._on_row("open_row")

    def action_timeline(self) -> None:
        self._on_row("open_timeline")

    def action_delete(self) -> None:
        self._on_row("delete_row")

    def action_replay(self) -> None:
        self._on_row("replay_row")


class HistoryScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="history.back")]

    def __init__(self, store: RunStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.rows: dict[str, HistoryRow] = {}
        self.wide: bool | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="history-box", classes="panel") as box:
            box.border_title = "Stored suites and runs"
            yield HistoryTable(id="history-table", cursor_type="row")
            yield Static(id="history-empty")
        yield Static(id="history-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "history"
        self.reload()
        self.query_one(HistoryTable).focus()

    def on_resize(self) -> None:
        if (self.size.width >= WIDE_FROM) != self.wide:
            self.reload()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    def _fit(self, widths: dict[str, int]) -> dict[str, int]:
        """Task and Models share what the other columns leave (2 cells of padding each)."""
        room = max(self.size.width - 6, 40)  # the panel's border and padding, a scrollbar
        rest = room - sum(w + 2 for k, w in widths.items() if k not in ("task", "models")) - 4
        models = max(12, min(widths.get("models", 0), rest * 3 // 5))
        task = max(12, min(widths.get("task", 0), rest - models))
        return {**widths, "task": task, "models": models}

    def reload(self) -> None:
        table = self.query_one(HistoryTable)
        keep = table.highlighted_key
        self.wide = self.size.width >= WIDE_FROM or not self.size.width
        self.rows = {row.key: row for row in history_rows(self.store)}
        labels = {"started": "Started (UTC)" if self.wide else "Started", "run": "Run / suite", "task": "Task",
                  "models": "Models", "agents": "Agents", "status": "Status", "judge": "Judge"}
        if not self.wide:
            del labels["run"], labels["judge"]
        cells = {key: self._cells(row) for key, row in self.rows.items()}
        # Widths are set here from the cells, not measured later by the table, so every row
        # is drawn with the widths of the longest cell (as the results table does).
        widths = self._fit({name: max([len(label), *(c[i].cell_len for c in cells.values())])
                            for i, (name, label) in enumerate(labels.items())})
        table.clear(columns=True)
        for name, label in labels.items():
            table.add_column(label, key=name, width=widths[name])
        for key, row_cells in cells.items():
            for i, name in enumerate(labels):
                row_cells[i].truncate(widths[name], overflow="ellipsis")
            table.add_row(*row_cells, key=key)
        if keep is not None and keep in self.rows:
            table.move_cursor(row=table.get_row_index(keep))
        empty = self.query_one("#history-empty", Static)
        empty.display = not self.rows
        empty.update(f"No stored runs yet in {self.store.path}. Runs from the arena and `nanotui run` appear here.")
        self._show_detail(table.highlighted_key)

    def _cells(self, row: HistoryRow) -> list[Text]:
        started = row.started_at.replace("T", " ").removesuffix("+00:00")
        if not self.wide:
            started = started[5:16]  # MM-DD HH:MM: the year and seconds are in the detail line
        cells = [Text(started)]
        if self.wide:
            cells.append(Text(row.ident, style="dim"))
        cells += [
            Text(row.what, style="bold" if row.suite is not None else ""),
            models_cell(row.models, MODELS_WIDTH if self.wide else NARROW_MODELS_WIDTH),
            Text(f"{row.finished}/{row.total}", justify="right"),
            Text(row.status, style="bold" if row.status == "interrupted" else ""),
        ]
        if self.wide:
            cells.append(Text((row.judge.partition(":")[2] or row.judge) if row.judge else "–", style="dim"))
        return cells

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self._show_detail(message.row_key.value if message.row_key is not None else None)

    def _show_detail(self, key: str | None) -> None:
        row = self.rows.get(key) if key is not None else None
        detail = self.query_one("#history-detail", Static)
        if row is None:
            detail.update("")
            return
        text = Text(row.ident, style="bold")
        text.append(f" · {row.started_at.replace('T', ' ').removesuffix('+00:00')} UTC · {row.what}")
        if row.suite is not None and row.suite.name:
            text.append(": " + ", ".join(str(t) for t in row.suite.spec.get("tasks", [])))
        text.append(f" · {', '.join(model_counts(row.models))}")
        text.append(f" · judge {row.judge or '–'}", style="dim")
        text.append(" · enter: leaderboard" if row.suite is not None else " · enter: results", style="dim")
        text.append(" · p: replay its first task" if row.suite is not None else " · p: replay", style="dim")
        detail.update(text)

    def _load_run(self, run_id: str) -> RunResult | None:
        """The stored run, or ``None`` with the reason shown."""
        from nanotui.engine.errors import NanotuiError

        try:
            return self.store.load_run(run_id)
        except NanotuiError as exc:
            self.notify(str(exc), severity="error")
            return None

    def open_row(self, key: str) -> None:
        row = self.rows.get(key)
        if row is not None and row.suite is not None:
            self.app.show_suite(row.suite.suite_id)  # type: ignore[attr-defined]
            return
        run = self._load_run(key)
        if run is not None:
            self.app.show_results(run, stored=True)  # type: ignore[attr-defined]

    def replay_row(self, key: str) -> None:
        """The run in the arena, replayed from its events; a suite's first task run (its
        other runs are in its Leaderboard and `nanotui show SUITE_ID`)."""
        from nanotui.engine.errors import NanotuiError

        row = self.rows.get(key)
        if row is None:
            return
        run_id = row.run_ids[0] if row.run_ids else None
        if run_id is None:
            self.notify(f"{row.ident} has no stored run to replay.", severity="warning")
            return
        try:
            run = self.store.load_run(run_id)
            events = self.store.events(run_id)
        except NanotuiError as exc:
            self.notify(str(exc), severity="error")
            return
        if row.suite is not None and len(row.run_ids) > 1:
            self.notify(f"Replaying task 1 of {len(row.run_ids)} of suite {row.ident} ({run_id}); "
                        f"the others: nanotui replay RUN_ID (nanotui show {row.ident} lists them).", timeout=8)
        self.app.replay_run(run, events)  # type: ignore[attr-defined]

    def delete_row(self, key: str) -> None:
        from nanotui.ui.screens.confirm import ConfirmScreen

        row = self.rows.get(key)
        if row is None:
            return
        if row.status == "running":
            self.notify(f"{row.ident} is still running: let it finish or cancel it first.", severity="warning")
            return
        what = (f"suite {row.ident} and its {len(row.run_ids)} task runs" if row.suite is not None
                else f"run {row.ident}")
        question = (f"Delete {what} ({row.what[:60]}, {row.total} agents) for good?\n"
                    "Its results, events and verdicts are removed from the history and the advisor's pool.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.store.delete_runs(row.run_ids)
                self.notify(f"Deleted {what}.")
                self.reload()

        self.app.push_screen(ConfirmScreen(question, yes="Delete", no="Keep"), answered)

    def open_timeline(self, key: str) -> None:
        from nanotui.ui.screens.timeline import TimelineScreen

        row = self.rows.get(key)
        if row is None or row.suite is not None:
            self.notify("t draws one run's timeline: open the suite with enter, then a task's results.",
                        severity="warning")
            return
        run = self._load_run(key)
        if run is not None:
            self.app.push_screen(TimelineScreen(run, verdict=self.store.latest_verdict(key)))
