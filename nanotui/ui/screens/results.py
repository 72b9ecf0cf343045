"""The verdict on one run: the ranking table, the judge (run by itself when its key is set),
the trade-off advisor, a detail view per agent and the markdown report.

The judge and the advisor run in thread workers (the judge's SDK import alone takes a
second); they report back with messages, which are safe to post from a thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Label, Static

from nanotui.engine.files import write_text_atomic
from nanotui.engine.numbers import count, usd
from nanotui.engine.results import RunResult
from nanotui.engine.verdict.grading import AgentGrades, grade_run, grading_note
from nanotui.ui.judging import JudgeJob, Judging, judge_status_text
from nanotui.ui.screens.agent_detail import key_argument
from nanotui.ui.screens.compare import open_compare
from nanotui.ui.screens.timeline import TimelineScreen
from nanotui.ui.widgets.advice_line import advice_line
from nanotui.ui.widgets.results_table import ResultsTable, hidden_figures
from nanotui.ui.widgets.theme_colors import theme_color
from nanotui.ui.widgets.trial_summary import trial_summary

if TYPE_CHECKING:
    from nanotui.engine.history.store import RunStore
    from nanotui.engine.verdict.advisor import Advice
    from nanotui.engine.verdict.verdict import Verdict


NOTE_CALLS = 8  # tool calls listed for the highlighted agent (enter shows all)
NOTE_ANSWER_LINES = 12


def stored_in(store: RunStore | None, run: RunResult) -> RunStore | None:
    """``store`` when ``run`` is in it (reports then come from the history), else None."""
    if store is None:
        return None
    from nanotui.engine.errors import NanotuiError

    try:
        store.resolve_run_id(run.run_id)
    except NanotuiError:
        return None
    return store


def default_report_path(run: RunResult) -> Path:
    return Path.cwd() / f"nanotui-report-{run.run_id}.md"


def report_markdown(run: RunResult, store: RunStore | None, verdict: Verdict | None = None) -> str:
    """The markdown report: from the history when the run is stored there (same bytes as
    `nanotui report`), else from the run in memory and the verdict on screen."""
    from nanotui.engine.report.data import build_report, render, report_for_run

    if store is not None:
        return report_for_run(store, run.run_id, "md")
    return render(build_report(run, verdict), "md")


def write_report(text: str, path: Path) -> Path:
    """Atomically: a crash never leaves half a report over a previous one."""
    return write_text_atomic(path, text)


def export_report(
    app: App[Any],
    run: RunResult,
    store: RunStore | None,
    path: Path | None = None,
    verdict: Verdict | None = None,
) -> Path | None:
    """Write the report off the UI thread (it reads the task's history for the advisor) and
    tell the user where; a bad path is a notification, not a crash. Returns the path it
    will write, or None when the path is unusable."""
    target = (path or default_report_path(run)).expanduser()
    if not target.is_absolute():
        target = Path.cwd() / target
    if target.is_dir():
        app.notify(f"{target} is a folder: give a file name such as report.md", severity="error")
        return None
    if not target.parent.is_dir():
        app.notify(f"Folder {target.parent} does not exist", severity="error")
        return None

    async def write() -> None:
        from nanotui.engine.errors import NanotuiError

        # The file work happens in a thread; the notification back here, on the UI loop
        # (a thread calling back into an app that is closing could wait forever).
        try:
            written = await asyncio.to_thread(lambda: write_report(report_markdown(run, store, verdict), target))
        except (NanotuiError, OSError) as exc:
            app.notify(f"Could not write the report: {exc}", title="Export failed", severity="error")
            return
        app.notify(str(written), title="Report written")

    app.run_worker(write, name="export report", group="export", exit_on_error=False)  # type: ignore[arg-type]  # mypy solves WorkType's union to Never for an async def
    return target


class ExportDialog(ModalScreen[Path | None]):
    """Where to write the report: enter accepts the suggested path (or the edited one)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export.cancel")]

    def __init__(self, suggested: Path) -> None:
        super().__init__()
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="panel") as box:
            box.border_title = "Export the markdown report"
            yield Label("File (enter writes it, escape cancels):")
            yield Input(str(self.suggested), id="export-path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(Path(value) if value else self.suggested)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ResultsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="results.back"),
        Binding("e", "export", "Export report", id="results.export"),
        Binding("j", "judge", "Judge", id="results.judge"),
        Binding("t", "timeline", "Timeline", id="results.timeline"),
        Binding("c", "compare", "Side by side", id="results.compare"),
    ]

    class AdviceReady(Message):
        def __init__(self, advice: Advice) -> None:
            super().__init__()
            self.advice = advice

    def __init__(self, run: RunResult, *, store: RunStore | None = None, auto_judge: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_result = run
        self.store = store
        self.auto_judge = auto_judge
        self.verdict: Verdict | None = None
        self.grades: list[AgentGrades] = []

    @property
    def run_id(self) -> str:
        return self.run_result.run_id

    @property
    def judging(self) -> Judging:
        return self.app.judging  # type: ignore[attr-defined]

    @property
    def _judging(self) -> bool:
        return self.judging.running(self.run_id)

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._head(), id="results-status")
        with Vertical(id="results-box", classes="panel") as box:
            box.border_title = "Ranking"
            yield ResultsTable(id="results-table")
        yield Static(id="results-trials")
        yield Static(id="judge-status")
        yield Static(id="advisor")
        with VerticalScroll(id="results-notes", classes="panel") as notes:
            notes.border_title = "Highlighted agent"
            yield Static(id="agent-note")
        yield Footer()

    @property
    def table(self) -> ResultsTable:
        return self.query_one(ResultsTable)

    def _head(self) -> Text:
        run = self.run_result
        task = run.task
        title = task.title or (task.id or "ad-hoc prompt")
        head = Text.assemble(("Task ", "dim"), (title, "bold"))
        if task.id and task.title:
            head.append(f" ({task.id})", style="dim")
        started = run.started_at.replace("T", " ").removesuffix("+00:00")[:16]
        head.append(f" · run {run.run_id} · started {started} UTC · {len(run.agents)} agents", style="dim")
        if run.interrupted:
            head.append(" · interrupted", style="bold")
        return head

    def on_mount(self) -> None:
        self.sub_title = "results"
        if (store := stored_in(self.store, self.run_result)) is not None:
            self.verdict = store.latest_verdict(self.run_result.run_id)
        job = self.judging.job(self.run_id)
        if job is not None and job.verdict is not None and job.verdict.usable:
            self.verdict = job.verdict
        self._regrade()
        self.table.focus()
        self._set_judge_line(self._initial_judge_line())
        fresh = not self.run_result.interrupted and self.run_result.agents
        if self.auto_judge and fresh and self.verdict is None and job is None:
            self.action_judge(quiet=True)  # a fresh run that nobody judged yet
        if not self._judging:
            self.compute_advice()

    def _is_stored(self) -> bool:
        return stored_in(self.store, self.run_result) is not None

    # -- grades --------------------------------------------------------------------------

    def _regrade(self) -> None:
        self.grades = grade_run(self.run_result, self.verdict)
        self.table.show(self.run_result.agents, self.grades)
        summary = trial_summary(self.run_result, self.grades)
        trials = self.query_one("#results-trials", Static)
        trials.update(summary)
        trials.display = bool(summary)
        box = self.query_one("#results-box")
        box.border_title = f"Ranking — {grading_note(self.grades)}"
        self._subtitle()
        self._show_note(self.table.highlighted_agent_id)

    def _subtitle(self) -> None:
        table = self.table
        marked = f" · {len(table.marked)} marked (c: side by side)" if table.marked else ""
        order = " (reversed)" if table.reverse else ""
        self.query_one("#results-box").border_subtitle = f"sorted by {table.sort.name}{order}{marked}"

    def on_results_table_sort_changed(self, message: ResultsTable.SortChanged) -> None:
        self._subtitle()

    def on_results_table_marks_changed(self, message: ResultsTable.MarksChanged) -> None:
        self._subtitle()

    def on_results_table_columns_changed(self, message: ResultsTable.ColumnsChanged) -> None:
        self._show_note(self.table.highlighted_agent_id)

    def on_data_table_row_highlighted(self, message: Any) -> None:
        if message.data_table is self.table and message.row_key is not None:
            self._show_note(message.row_key.value)

    def _show_note(self, agent_id: str | None) -> None:
        note = self.query_one("#agent-note", Static)
        agent = next((a for a in self.run_result.agents if a.agent_id == agent_id), None)
        if agent is None:
            note.update("")
            return
        g = next((g for g in self.grades if g.agent_id == agent_id), None)
        parts: list[Any] = [Text.assemble((agent.display_name, "bold"), "  ", (agent.model, "dim"),
                                          (f"  {count(agent.turns, 'turn')} · {count(len(agent.tool_calls), 'tool call')}", "dim"))]
        if self.table.compact:
            parts.append(hidden_figures(agent, g))
        if agent.error:
            parts.append(Text(f"error: {agent.error}", style=f"bold {theme_color(self, 'error')}"))
        if g is not None and g.basis in ("judge", "unscored"):
            parts.append(Text.assemble(("judge: ", "dim"), (g.performance or "unscored", "bold"), " — ",
                                       g.rationale or "(no rationale)"))
            if len(g.juror_grades) > 1:
                parts.append(Text("jurors: " + " · ".join(f"{spec} {grade or 'unscored'}"
                                                          for spec, grade in g.juror_grades.items()), style="dim"))
            if g.cap:
                parts.append(Text(f"⚑ capped by checks: {g.cap}", style=theme_color(self, "warning")))
            if g.position_consistent is False:
                parts.append(Text("↕ a juror graded it differently when the order was swapped (mean, rounded down)",
                                  style=theme_color(self, "warning")))
        failed = [c for c in agent.checks if not c.passed]
        if failed:
            parts.append(Text("failed checks: " + "; ".join(
                f"{c.name}" + (f" ({c.detail})" if c.detail else "") for c in failed), style="dim"))
        ok_style, error_style = theme_color(self, "success"), f"bold {theme_color(self, 'error')}"
        if agent.tool_calls:
            parts.append(Text(f"tool calls ({len(agent.tool_calls)}):", style="dim"))
            for call in agent.tool_calls[:NOTE_CALLS]:
                mark = Text("ok", style=ok_style) if call.ok else Text("error", style=error_style)
                parts.append(Text.assemble("  ", (call.name, "bold"), f" {key_argument(call.name, call.arguments)} → ", mark,
                                           (f" {call.result_size:,} chars", "dim")))
            if len(agent.tool_calls) > NOTE_CALLS:
                parts.append(Text(f"  … {len(agent.tool_calls) - NOTE_CALLS} more", style="dim"))
        if agent.files_changed:
            parts.append(Text.assemble(("files changed: ", "dim"), ", ".join(agent.files_changed)))
        answer = agent.final_answer.strip().splitlines()
        parts.append(Text("final answer:" if answer else "final answer: (none)", style="dim"))
        for line in answer[:NOTE_ANSWER_LINES]:
            parts.append(Text(f"  {line}"))
        if len(answer) > NOTE_ANSWER_LINES:
            parts.append(Text(f"  … {len(answer) - NOTE_ANSWER_LINES} more lines", style="dim"))
        parts.append(Text("enter: the whole answer, tool trace, diffs and checks · t: timeline · "
                          "space marks, c: side by side", style="dim italic"))
        note.update(Group(*parts))

    def action_timeline(self) -> None:
        self.app.push_screen(TimelineScreen(self.run_result, self.table.ordered()))

    def action_compare(self) -> None:
        open_compare(self, self.run_result, self.table.marked_agents(), stored_in(self.store, self.run_result))

    def on_results_table_open(self, message: ResultsTable.Open) -> None:
        from nanotui.ui.screens.agent_detail import AgentDetailScreen

        agent = next(a for a in self.run_result.agents if a.agent_id == message.agent_id)
        grades = next((g for g in self.grades if g.agent_id == message.agent_id), None)
        self.app.push_screen(AgentDetailScreen(agent, grades))

    # -- judge ---------------------------------------------------------------------------

    def _initial_judge_line(self) -> Text:
        job = self.judging.job(self.run_id)
        if job is not None:
            return self._job_text(job)
        if self.verdict is not None:
            return self._verdict_text(self.verdict)
        choice = self.judging.choice()
        if not choice.models:
            note = (choice.note or "").removeprefix("no judge: ").split("; performance from")[0]
            return Text.assemble(("No judge yet: ", "bold"), f"{note} — grades are ", ("checks only", "bold"),
                                 ". Set a key and press ", ("j", "bold"), ".")
        return Text.assemble(("Not judged yet — press ", "dim"), ("j", "bold"), (f" to ask {choice.spec}.", "dim"))

    def _verdict_text(self, v: Verdict) -> Text:
        if v.status == "error":
            return Text.assemble(("Judge failed: ", "bold"), v.error or "unknown error",
                                 " — grades from checks only. Press ", ("j", "bold"), " to try again.")
        text = Text.assemble(("Judged by ", "dim"), (v.judge, "bold"), (f" · {v.status}", "dim"))
        if len(v.jurors) > 1:
            a = v.agreement
            if a.value is None:
                text.append(f" · agreement: {a.reason}", style="dim")
            else:
                style = f"bold {theme_color(self, 'warning')}" if a.low else "dim"
                text.append(f" · agreement α={a.value:.2f}" + (" — LOW: lean on these grades with care" if a.low
                                                                else ""), style=style)
        if v.position_consistency is not None:
            text.append(f" · same grade in both orders {v.position_consistency:.0%}", style="dim")
        if v.failed_jurors:
            text.append(" · left out: " + ", ".join(j.spec for j in v.failed_jurors), style="bold")
        names = {a.agent_id: a.display_name for a in self.run_result.agents}
        shared = [names.get(p["agent_id"], p["agent_id"]) for p in v.self_preference if not p.get("excluded")]
        if shared:
            text.append(f" · same vendor as the judge: {', '.join(shared)}", style="bold")
        capped = sum(g.capped_by_checks for g in self.grades)
        if capped:
            text.append(f" · {capped} capped by failed checks (⚑)", style="dim")
        text.append(f" · judge cost {usd(v.cost_usd)} (not added to any model's cost)", style="dim")
        return text

    def _job_text(self, job: JudgeJob) -> Text:
        if job.done and job.verdict is not None:
            return self._verdict_text(job.verdict)
        return Text(judge_status_text(job))

    def _set_judge_line(self, text: Text) -> None:
        self.query_one("#judge-status", Static).update(text)

    def action_judge(self, quiet: bool = False) -> None:
        if self._judging:
            if not quiet:
                self.notify("The judge is already at work.", severity="warning")
            return
        if not self.run_result.agents:
            if not quiet:
                self.notify("This run has no agents to judge.", severity="warning")
            return
        job = self.judging.start(self.run_result, self._rubric(), stored_in(self.store, self.run_result))
        if job is None:
            if not quiet:
                self.notify(self.judging.choice().note or "no judge is ready", title="No judge", severity="error")
            return
        self._set_judge_line(self._job_text(job))

    def judge_updated(self, job: JudgeJob) -> None:
        """The app's judge of this run moved on (called by the app)."""
        if job.done:
            if job.verdict is not None and (job.verdict.usable or self.verdict is None):
                self.verdict = job.verdict
            self._regrade()
            if job.verdict is not None and job.verdict.status == "error":
                self.notify(job.verdict.error or "the judge failed", title="Judge failed", severity="error")
            elif job.error:
                self.notify(job.error, title="Judge", severity="warning")
            self.compute_advice()
        self._set_judge_line(self._job_text(job))

    def _rubric(self) -> str | None:
        """The task's rubric as recorded with the run, else from the task library."""
        plan = self.run_result.extra.get("plan")
        if isinstance(plan, dict) and "rubric" in plan:
            return plan["rubric"]
        if (store := stored_in(self.store, self.run_result)) is not None:
            plan = store.load_run(self.run_result.run_id).extra.get("plan") or {}
            if "rubric" in plan:
                return plan["rubric"]
        if self.run_result.task.id:
            from nanotui.engine.errors import NanotuiError
            from nanotui.engine.tasks.library import load_library

            try:
                return load_library().get(self.run_result.task.id).rubric
            except NanotuiError:
                return None
        return None

    # -- advisor -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="advisor", exit_on_error=False)
    def compute_advice(self) -> None:
        from nanotui.engine.report.data import advice_for_task
        from nanotui.engine.verdict.advisor import advise

        if (store := stored_in(self.store, self.run_result)) is not None:
            advice = advice_for_task(store, self.run_result.run_id)
        else:
            advice = advise([(self.run_result, grade_run(self.run_result, self.verdict))])
        self.post_message(self.AdviceReady(advice))

    def on_results_screen_advice_ready(self, message: AdviceReady) -> None:
        self.query_one("#advisor", Static).update(advice_line(message.advice))

    # -- export --------------------------------------------------------------------------

    def action_export(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                export_report(self.app, self.run_result, stored_in(self.store, self.run_result), path, self.verdict)

        self.app.push_screen(ExportDialog(default_report_path(self.run_result)), chosen)

