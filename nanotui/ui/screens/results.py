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
from nanotui.engine.numbers import secs, usd
from nanotui.engine.results import RunResult
from nanotui.engine.verdict.grading import AgentGrades, grade_run, grading_note
from nanotui.ui.screens.agent_detail import key_argument
from nanotui.ui.widgets.results_table import ResultsTable
from nanotui.ui.widgets.theme_colors import theme_color

if TYPE_CHECKING:
    from nanotui.engine.history.store import RunStore
    from nanotui.engine.verdict.advisor import Advice
    from nanotui.engine.verdict.judge import JudgeProgress, Verdict


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
    ]

    class JudgeProgressed(Message):
        def __init__(self, progress: JudgeProgress) -> None:
            super().__init__()
            self.progress = progress

    class JudgeDone(Message):
        def __init__(self, verdict: Verdict) -> None:
            super().__init__()
            self.verdict = verdict

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
        self._judging = False
        self._judge_spec: str | None = None

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._head(), id="results-status")
        with Vertical(id="results-box", classes="panel") as box:
            box.border_title = "Ranking"
            yield ResultsTable(id="results-table")
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
        self._regrade()
        self.table.focus()
        self._set_judge_line(self._initial_judge_line())
        if self.auto_judge and self.verdict is None and self._judge_ready():
            self.action_judge()
        else:
            self.compute_advice()

    def _is_stored(self) -> bool:
        return stored_in(self.store, self.run_result) is not None

    # -- grades --------------------------------------------------------------------------

    def _regrade(self) -> None:
        self.grades = grade_run(self.run_result, self.verdict)
        self.table.show(self.run_result.agents, self.grades)
        box = self.query_one("#results-box")
        box.border_title = f"Ranking — {grading_note(self.grades)}"
        box.border_subtitle = f"sorted by {self.table.sort.name}"
        self._show_note(self.table.highlighted_agent_id)

    def on_results_table_sort_changed(self, message: ResultsTable.SortChanged) -> None:
        order = " (reversed)" if message.reverse else ""
        self.query_one("#results-box").border_subtitle = f"sorted by {message.name}{order}"

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
                                          (f"  {agent.turns} turns · {len(agent.tool_calls)} tool calls", "dim"))]
        if agent.error:
            parts.append(Text(f"error: {agent.error}", style=f"bold {theme_color(self, 'error')}"))
        if g is not None and g.basis in ("judge", "unscored"):
            parts.append(Text.assemble(("judge: ", "dim"), (g.performance or "unscored", "bold"), " — ",
                                       g.rationale or "(no rationale)"))
        failed = [c for c in agent.checks if not c.passed]
        if failed:
            parts.append(Text("failed checks: " + "; ".join(
                f"{c.name}" + (f" ({c.detail})" if c.detail else "") for c in failed), style="dim"))
        ok_style, error_style = theme_color(self, "success"), f"bold {theme_color(self, 'error')}"
        if agent.tool_calls:
            parts.append(Text(f"tool calls ({len(agent.tool_calls)}):", style="dim"))
            for call in agent.tool_calls[:NOTE_CALLS]:
                mark = Text("ok", style=ok_style) if call.ok else Text("error", style=error_style)
                parts.append(Text.assemble("  ", (call.name, "bold"), f" {key_argument(call.arguments)} → ", mark,
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
        parts.append(Text("enter: the whole answer, tool trace, diffs and checks", style="dim italic"))
        note.update(Group(*parts))

    def on_results_table_open(self, message: ResultsTable.Open) -> None:
        from nanotui.ui.screens.agent_detail import AgentDetailScreen

        agent = next(a for a in self.run_result.agents if a.agent_id == message.agent_id)
        grades = next((g for g in self.grades if g.agent_id == message.agent_id), None)
        self.app.push_screen(AgentDetailScreen(agent, grades))

    # -- judge ---------------------------------------------------------------------------

    def _judge_model(self) -> Any:
        from nanotui.engine.verdict.judge import resolve_judge

        return resolve_judge()

    def _judge_ready(self) -> bool:
        from nanotui.engine.errors import NanotuiError
        from nanotui.engine.verdict.judge import missing_key

        try:
            return missing_key(self._judge_model()) is None
        except NanotuiError:
            return False

    def _initial_judge_line(self) -> Text:
        from nanotui.engine.errors import NanotuiError
        from nanotui.engine.verdict.judge import missing_key

        if self.verdict is not None:
            return self._verdict_text(self.verdict)
        try:
            model = self._judge_model()
        except NanotuiError as exc:
            return Text(f"No judge: {exc}", style="dim")
        env = missing_key(model)
        if env:
            return Text.assemble(
                ("No judge yet: ", "bold"), f"{env} is not set (the judge is {model.spec}) — grades are ",
                ("checks only", "bold"), ". Set it and press ", ("j", "bold"), ".")
        return Text.assemble(("Not judged yet — press ", "dim"), ("j", "bold"), (f" to ask {model.spec}.", "dim"))

    def _verdict_text(self, v: Verdict) -> Text:
        if v.status == "error":
            return Text.assemble(("Judge failed: ", "bold"), v.error or "unknown error",
                                 " — grades from checks only. Press ", ("j", "bold"), " to try again.")
        text = Text.assemble(("Judged by ", "dim"), (v.judge, "bold"), (f" · {v.status}", "dim"))
        if v.status in ("partial", "unscored"):
            text.append(" (agents without a readable grade are unscored, never F)", style="dim")
        text.append(f" · judge cost {usd(v.cost_usd)} (not added to any model's cost)", style="dim")
        return text

    def _set_judge_line(self, text: Text) -> None:
        self.query_one("#judge-status", Static).update(text)

    def action_judge(self) -> None:
        from nanotui.engine.errors import NanotuiError
        from nanotui.engine.verdict.judge import missing_key

        if self._judging:
            self.notify("The judge is already at work.", severity="warning")
            return
        if not self.run_result.agents:
            self.notify("This run has no agents to judge.", severity="warning")
            return
        try:
            model = self._judge_model()
        except NanotuiError as exc:
            self.notify(str(exc), title="No judge", severity="error")
            return
        env = missing_key(model)
        if env:
            self.notify(f"{env} is not set — needed by the judge {model.spec}.", title="No judge", severity="error")
            return
        self._judging = True
        self._judge_spec = model.spec
        self._set_judge_line(Text(f"Judge {model.spec}: starting…"))
        self.run_judge(model, self._rubric())

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

    @work(thread=True, exclusive=True, group="judge", exit_on_error=False)
    def run_judge(self, model: Any, rubric: str | None) -> None:
        from nanotui.engine.run.service import judge_run
        from nanotui.providers.registry import SdkProviders

        last: list[tuple[str, int]] = [("", -1000)]

        def progress(p: JudgeProgress) -> None:
            # Streaming reports come per delta; repaint every 200 characters at most.
            phase, chars = last[0]
            if p.phase != phase or p.output_chars - chars >= 200:
                last[0] = (p.phase, p.output_chars)
                self.post_message(self.JudgeProgressed(p))

        # The verdict is saved by the message handler, on the UI thread (the store's owner).
        verdict = asyncio.run(judge_run(self.run_result, rubric, model, providers=SdkProviders(), progress=progress))
        self.post_message(self.JudgeDone(verdict))

    def on_results_screen_judge_progressed(self, message: JudgeProgressed) -> None:
        if not self._judging:
            return
        p = message.progress
        spec = self._judge_spec or "judge"
        attempt = f" (attempt {p.attempt})" if p.attempt > 1 else ""
        if p.phase == "asking":
            text = Text(f"Judge {spec}: sending {len(self.run_result.agents)} blinded candidates…{attempt}")
        elif p.phase == "streaming":
            text = Text(f"Judge {spec}: reading its reply — {p.output_chars:,} characters{attempt}")
        elif p.phase == "retrying":
            text = Text(f"Judge {spec}: reply unreadable ({p.detail}); asking once more")
        else:
            text = Text(f"Judge {spec}: grading…")
        self._set_judge_line(text)

    def on_results_screen_judge_done(self, message: JudgeDone) -> None:
        self._judging = False
        verdict = message.verdict
        if (store := stored_in(self.store, self.run_result)) is not None:
            try:
                store.add_verdict(self.run_result.run_id, verdict)
            except Exception as exc:
                self.notify(f"Could not store the verdict: {exc}", severity="warning")
        if verdict.usable or self.verdict is None:
            self.verdict = verdict
        self._regrade()
        self._set_judge_line(self._verdict_text(verdict))
        if verdict.status == "error":
            self.notify(verdict.error or "the judge failed", title="Judge failed", severity="error")
        self.compute_advice()

    def on_worker_state_changed(self, event: Any) -> None:
        from textual.worker import WorkerState

        if event.worker.group == "judge" and event.state == WorkerState.ERROR:
            self._judging = False
            self._set_judge_line(Text(f"Judge failed: {event.worker.error}"))

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
