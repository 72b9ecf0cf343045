"""The arena: one live pane per model while the run goes on.

The run is the engine's :class:`~nanotui.engine.run.service.RecordedRun` (the same sequence as
``nanotui run``). In the app it runs in the app's warm agent process (:mod:`nanotui.ui.agent_process`):
the SDK streams, the agent loop, the clocks and the history writes use the second core, and the
events come back in batches ten times a second. A host without an agent process (the tests' small
apps), or a run with its own providers or history object, runs it in an async worker on the UI's
event loop instead. Either way the sink runs on the UI thread and touches no widget: it folds each
event into the :class:`LiveBoard` and queues it on its pane. One timer (10 Hz; 5 Hz for a grid
of more than 8 panes) folds the queues into the panes, so the UI's work does not grow with the
token rate."""
from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from nanotui.engine.agent.provider import ProviderRegistry
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.events import Event
from nanotui.engine.results import RunResult
from nanotui.engine.run.live import LiveBoard
from nanotui.engine.run.orchestrator import RunInterrupted
from nanotui.engine.run.plan import RunPlan
from nanotui.engine.run.service import RecordedRun, RunHistory
from nanotui.ui.agent_process import AgentProcess, RemoteRun, remote_run_for
from nanotui.ui.judging import JudgeJob, judge_status_text
from nanotui.ui.screens.confirm import ConfirmScreen
from nanotui.ui.widgets.agent_pane import AgentPane, Clock, Estimates
from nanotui.ui.widgets.arena_lines import KeyHints, StatusLine
from nanotui.ui.widgets.estimates import load_estimates
from nanotui.ui.widgets.pane_grid import PaneGrid, grid_shape, refresh_every

if TYPE_CHECKING:
    from nanotui.ui.suite_run import SuiteRun

REFRESH_HZ = 10


class ArenaScreen(Screen[None]):
    """Runs ``plan`` and shows it live. Posts :class:`RunFinished` when the run is over and
    :class:`ShowResults` when the user asks for the results."""

    # Textual repaints the whole screen when focus moves (Screen.focused repaints); here the
    # two panes whose focus style changes repaint themselves, which is all that changes. A
    # full repaint of sixteen streaming panes cost ~40-60 ms of CPU per arrow key on the Xeon.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    DEFAULT_CSS = """
    ArenaScreen {
        layout: vertical;
    }
    ArenaScreen > #arena-status {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    ArenaScreen > #arena-grid {
        height: 1fr;
        grid-gutter: 0 0;
    }
    ArenaScreen > #arena-keys {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    """
    BINDINGS = [
        Binding("left", "move_focus('left')", "Pane left", show=False, id="arena.focus_left"),
        Binding("right", "move_focus('right')", "Pane right", show=False, id="arena.focus_right"),
        Binding("up", "move_focus('up')", "Pane up", show=False, id="arena.focus_up"),
        Binding("down", "move_focus('down')", "Pane down", show=False, id="arena.focus_down"),
        Binding("tab", "move_focus('next')", "Next pane", show=False, id="arena.focus_next"),
        Binding("shift+tab", "move_focus('previous')", "Previous pane", show=False, id="arena.focus_previous"),
        Binding("enter", "zoom", "Zoom", id="arena.zoom"),
        Binding("t", "toggle_reasoning", "Reasoning", id="arena.reasoning"),
        Binding("slash", "find", "Find", id="arena.find"),  # zoomed: the pane's find box
        Binding("pageup", "scroll_pane('page_up')", "Scroll up", show=False, id="arena.page_up"),
        Binding("pagedown", "scroll_pane('page_down')", "Scroll down", show=False, id="arena.page_down"),
        Binding("home", "scroll_pane('home')", "Top", show=False, id="arena.home"),
        Binding("end", "scroll_pane('end')", "Bottom", show=False, id="arena.end"),
        Binding("c", "cancel_agent", "Cancel agent", id="arena.cancel_agent"),
        Binding("r", "results", "Results", id="arena.results"),
        # escape: un-zoom when zoomed, else ask to cancel, else go back
        Binding("escape", "unzoom", "Back to grid", id="arena.unzoom"),
        Binding("escape", "cancel_run", "Cancel run", id="arena.cancel_run"),
        Binding("escape", "leave", "Back", id="arena.leave"),
        Binding("ctrl+c", "interrupt", "Cancel run", show=False, priority=True, id="arena.ctrl_c"),
    ]

    class RunFinished(Message):
        """The run is over (finished, or cancelled from the arena); ``run`` has every agent."""

        def __init__(self, run: RunResult, rubric: str | None = None) -> None:
            super().__init__()
            self.run = run
            self.rubric = rubric  # for the judge: the task's rubric with this run's variables

    class ShowResults(Message):
        """The user asked to see the results of ``run``."""

        def __init__(self, run: RunResult) -> None:
            super().__init__()
            self.run = run

    def __init__(
        self,
        plan: RunPlan,
        *,
        store: RunHistory | None = None,
        providers: ProviderRegistry | None = None,
        on_done: Callable[[RunResult], None] | None = None,
        clock: Clock = time.monotonic,
        retry_policy: RetryPolicy | None = None,
        suite: SuiteRun | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        explicit_providers = providers is not None
        if providers is None:
            from nanotui.providers.registry import SdkProviders

            providers = SdkProviders()
        self.plan = plan
        self.on_done = on_done
        self.clock = clock
        self.suite = suite  # this run is one task of a suite (ui/suite_run.py)
        self._own_registry = not explicit_providers
        self._store = store
        self._retry_policy = retry_policy
        self._agent_process: AgentProcess | None = None
        self.recorded: RecordedRun | RemoteRun = RecordedRun(
            plan, providers=providers, history=store, sink=self._on_event, retry_policy=retry_policy,
            suite_id=suite.suite_id if suite else None)
        self.run_id = self.recorded.run_id
        self.board = LiveBoard()
        self.agent_ids = self.recorded.agent_ids
        for agent_id, spec in zip(self.agent_ids, plan.specs):
            self.board.add(agent_id, spec.spec, spec.display_name)
        self.result: RunResult | None = None
        self._panes: dict[str, AgentPane] = {}
        self._started_at: float | None = None
        self._finished_at: float | None = None
        self._ticks = 0
        self._history_reported = False
        self._judge_note = ""
        self._columns = 1
        self._grid: PaneGrid | None = None

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self._agent_process is None:
            remote = remote_run_for(self.app, self.plan, own_registry=self._own_registry, store=self._store,
                                    run_id=self.run_id, agent_ids=list(self.agent_ids),
                                    retry_policy=self._retry_policy, sink=self._on_event,
                                    suite_id=self.suite.suite_id if self.suite else None)
            if remote is not None:
                self._agent_process = remote.process
                # As early as the screen can reach its app: the agents start on the other
                # core while this one builds and draws sixteen panes.
                remote.start()
                self.recorded = remote
        yield StatusLine(id="arena-status")
        self._grid = PaneGrid(id="arena-grid")
        with self._grid:
            for agent_id in self.agent_ids:
                pane = AgentPane(self.board.agents[agent_id], clock=self.clock, id=f"pane-{agent_id}")
                self._panes[agent_id] = pane
                yield pane
        yield KeyHints(id="arena-keys")

    def on_mount(self) -> None:
        self._layout_grid()
        panes = self.panes
        if panes:
            panes[0].focus()
        self._started_at = self.clock()
        self._refresh_status()
        self._refresh_keys()
        self.set_interval(1 / REFRESH_HZ, self._refresh, name="arena-refresh")
        self._run()
        self._load_estimates()

    def on_resize(self) -> None:
        self._layout_grid()

    def on_unmount(self) -> None:
        gc.unfreeze()  # the screen is gone: nothing stays frozen for good

    def _layout_grid(self) -> None:
        width, height = self.size.width, max(1, self.size.height - 2)  # status line + footer
        cols, rows = grid_shape(len(self.agent_ids), width, height)
        self._columns = cols
        if self._grid is not None:
            self._grid.set_shape(cols, rows)

    @property
    def panes(self) -> list[AgentPane]:
        return [self._panes[a] for a in self.agent_ids if a in self._panes]

    def pane(self, agent_id: str) -> AgentPane:
        return self._panes[agent_id]

    @property
    def done(self) -> bool:
        return self.result is not None

    # -- live display -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="arena-estimates", exit_on_error=False)
    def _load_estimates(self) -> None:
        """Tokenizer and prices, loaded off the UI thread (the tokenizer takes ~0.5 s)."""
        estimates = load_estimates(self.plan, self.agent_ids)
        if estimates is None:
            return  # no estimates: the panes show the providers' exact figures only
        try:
            self.app.call_from_thread(self._apply_estimates, estimates)
        except Exception:  # the app closed while we loaded
            pass

    def _apply_estimates(self, estimates: dict[str, Estimates]) -> None:
        for agent_id, est in estimates.items():
            pane = self._panes.get(agent_id)
            if pane is not None:
                pane.set_estimates(est)

    def tick(self) -> None:
        """Fold queued events into the panes and redraw the counters, all at once."""
        now = self.clock()
        for pane in self.panes:
            pane.flush()
            pane.refresh_counters(now)
        self._refresh_status(now)

    async def _refresh(self) -> None:
        """The timer's tick (every other one for a big grid, see ``refresh_every``), a pane
        at a time: between panes the loop answers keys (a whole tick took 30-40 ms with 16
        panes streaming). Panes behind a zoomed one take their text but render nothing.
        Textual's timer skips a tick due while one runs: a slow machine refreshes less."""
        self._ticks += 1
        if self._ticks % refresh_every(1 if self.zoomed is not None else len(self.panes)):
            return
        now = self.clock()
        for pane in self.panes:
            if self.zoomed is not None and self.zoomed is not pane:
                pane.flush(render=False)
                continue
            pane.flush()
            pane.refresh_counters(now)
            await asyncio.sleep(0)
        self._refresh_status(now)
        focused = self._focused_pane()
        if focused is not None and self.zoomed is None:
            focused.prepare_zoom()  # a finished or quiet pane: its zoom paints from cached lines

    def flush_all(self) -> None:
        """Every pane takes all its queued events now (end of run, tests)."""
        for pane in self.panes:
            pane.flush()
            pane.refresh_counters()

    def _refresh_status(self, now: float | None = None) -> None:
        agents = self.board.agents.values()
        running = sum(1 for a in agents if not a.done and a.status != "queued")
        queued = sum(1 for a in agents if a.status == "queued" and not a.done)
        finished = sum(1 for a in agents if a.done)
        task = self.plan.task_ref
        title = task.id or "ad-hoc prompt"
        if task.title:
            title += f" · {task.title}"
        now = self.clock() if now is None else now
        start = self._started_at if self._started_at is not None else now
        elapsed = (self._finished_at if self._finished_at is not None else now) - start
        counts = f"{len(self.agent_ids)} agents: {running} running · {queued} queued · {finished} done"
        if self.suite is not None:
            counts = f"{self.suite.progress(finished)} · {running} running · {queued} queued"
        if self.result is not None:
            state = "[$warning]cancelled[/]" if self.result.interrupted else "[$success]finished[/]"
            what = "leaderboard" if self.suite is not None and self.suite.over else "results"
            tail = f"{state} in {elapsed:.1f}s — r: {what}" + (f" · {escape(self._judge_note)}" if self._judge_note else "")
        else:
            tail = f"{elapsed:.1f}s"
            preparing = self._agent_process.preparing if self._agent_process is not None else None
            if preparing and running == 0 and finished == 0:
                tail = f"{escape(preparing)}  {tail}"
        self.query_one("#arena-status", StatusLine).show(f"[b]{escape(title)}[/b]  {counts}  {tail}")

    # -- the run ----------------------------------------------------------------------------

    def _on_event(self, event: Event, at: float | None = None) -> None:
        """The engine's sink, per token on the UI thread: it only queues. ``at``: when the agent
        process saw it (same monotonic clock; a batch's delay is not in the panes' times)."""
        self.board.apply(event)
        pane = self._panes.get(event.agent_id)
        if pane is not None:
            pane.take(event, at if self.clock is time.monotonic else None)

    @work(exclusive=True, group="arena-run", exit_on_error=False)
    async def _run(self) -> None:
        # What is alive now (Textual, the SDKs, price data, earlier screens) outlives the run:
        # keep it out of the collector's full scans, which stalled the UI 100-200 ms each while
        # sixteen agents streamed. Collect first so that earlier garbage is not frozen.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        try:
            run = await self.recorded.execute()
        except RunInterrupted:  # the screen went away mid-run: what finished is saved
            raise asyncio.CancelledError from None
        finally:
            # What the run built joins the frozen set while this screen is shown (unfrozen, a
            # full scan of it fell in the next keys: a zoom took 100-300 ms); see on_unmount.
            gc.collect()
            gc.freeze()
        self._finish(run)

    def _finish(self, run: RunResult) -> None:
        self.flush_all()
        self.result = run
        self._finished_at = self.clock()
        self._report_history()
        self._refresh_status()
        self._refresh_keys()
        self.post_message(self.RunFinished(run, self.plan.rubric))
        if self.on_done is not None:
            self.on_done(run)
        if self.suite is not None and not self.suite.last and not run.interrupted:
            self.notify(f"Task {self.suite.index + 1}/{len(self.suite.plans)} finished: the next one starts.",
                        title="nanotui", timeout=4)
        elif run.interrupted:
            self.notify("Run cancelled: press r for what finished.", title="nanotui", timeout=6)
        else:
            self.notify("Run finished: press r for the results.", title="nanotui", timeout=6)

    def _report_history(self) -> None:
        problem = self.recorded.history_error
        if problem and not self._history_reported:
            self._history_reported = True
            self.notify(f"History: {problem}. The results are on screen but not all of the run was saved.",
                        severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported (the estimates are optional)."""
        if event.state != WorkerState.ERROR or event.worker.group != "arena-run":
            return
        error = event.worker.error
        detail = f"{type(error).__name__}: {error}"
        if isinstance(self.recorded, RemoteRun) and self._store is not None:
            # The agent process died: what it committed stays; the run is no longer running.
            try:
                self._store.mark_interrupted(self.run_id)
            except Exception as exc:
                detail += f"; the history could not mark the run interrupted ({exc})"
        self.notify(f"The run stopped: {detail}", severity="error", timeout=15)

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "results":
            return self.done
        if action in ("cancel_agent", "interrupt"):
            return not self.done
        if action in ("unzoom", "find"):
            return self.zoomed is not None
        if action == "cancel_run":
            return not self.done and self.zoomed is None
        if action == "leave":
            return self.done and self.zoomed is None
        return True

    @property
    def zoomed(self) -> AgentPane | None:
        """The pane shown alone, if one is."""
        return self._grid.zoomed if self._grid is not None else None  # type: ignore[return-value]

    def zoom(self, pane: AgentPane | None) -> None:
        """Show ``pane`` alone (``None``: the grid again)."""
        if self.zoomed is not None and pane is not self.zoomed:
            self.zoomed.close_find()
        if self._grid is not None:
            self._grid.zoom(pane)
        self._refresh_keys()  # escape un-zooms while zoomed

    def _refresh_keys(self) -> None:
        """Show the keys that do something now, as the footer would."""
        active = [b for b in self.BINDINGS if isinstance(b, Binding) and b.show
                  and self.check_action(b.action.split("(")[0], ()) is True]
        self.query_one("#arena-keys", KeyHints).show_keys(active, {"zoom": "Unzoom"} if self.zoomed else {})

    def _focused_pane(self) -> AgentPane | None:
        panes = self.focused.ancestors_with_self if self.focused is not None else []
        return next((node for node in panes if isinstance(node, AgentPane)), None)

    def action_move_focus(self, direction: str) -> None:
        panes = self.panes
        if not panes:
            return
        current = self._focused_pane()
        if self.zoomed is not None and current is not None and direction in ("up", "down"):
            current.scroll(direction)  # zoomed in: the arrows scroll the pane instead
            return
        index = panes.index(current) if current in panes else 0
        cols = self._columns
        step = {"left": -1, "right": 1, "up": -cols, "down": cols}
        if direction == "next":
            target = (index + 1) % len(panes)
        elif direction == "previous":
            target = (index - 1) % len(panes)
        else:
            target = index + step[direction]
            if direction in ("left", "right") and target // cols != index // cols:
                return  # stay on the row
            if not 0 <= target < len(panes):
                return
        if self.zoomed is not None:
            self.zoom(panes[target])
        panes[target].focus()

    def action_zoom(self) -> None:
        if (pane := self._focused_pane()) is not None:
            self.zoom(None if self.zoomed is pane else pane)

    async def action_find(self) -> None:
        if self.zoomed is not None:
            await self.zoomed.open_find()

    def action_toggle_reasoning(self) -> None:
        pane = self._focused_pane()
        if pane is not None:
            pane.toggle_reasoning()

    def action_scroll_pane(self, where: str) -> None:
        if (pane := self._focused_pane()) is not None:
            pane.scroll(where)

    def action_cancel_agent(self) -> None:
        pane = self._focused_pane()
        if pane is None:
            return
        if self.recorded.cancel(pane.agent_id):
            self.notify(f"Cancelling {pane.live.display_name}…", timeout=3)
        else:
            self.notify(f"{pane.live.display_name} is not running.", severity="warning", timeout=3)

    def action_unzoom(self) -> None:
        self.zoom(None)

    def action_interrupt(self) -> None:
        self.action_cancel_run()

    def action_cancel_run(self) -> None:
        if self.done or isinstance(self.app.screen, ConfirmScreen):
            return
        working = sum(1 for a in self.board.agents.values() if not a.done)
        question = (
            f"Cancel the run? {working} agent(s) are still working. "
            "What finished so far is kept and shown in the results."
        )

        def answered(yes: bool | None) -> None:
            if yes and not self.done:
                self.recorded.cancel_all()

        self.app.push_screen(ConfirmScreen(question, yes="Cancel run", no="Keep running"), answered)

    def action_results(self) -> None:
        if self.suite is not None and self.suite.over:
            self.app.show_suite(self.suite.suite_id)  # type: ignore[attr-defined]
        elif self.result is not None:
            self.post_message(self.ShowResults(self.result))

    def action_leave(self) -> None:
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            judging = getattr(self.app, "judging", None)
            if judging is not None and judging.running(self.run_id):
                self.notify("The judge is still at work on this run; its grades appear in its results "
                            "(History, ctrl+o) when it is done.", timeout=6)
            self.app.pop_screen()

    def judge_updated(self, job: JudgeJob) -> None:
        """The app's judge of this run moved on: say so in the status line."""
        self._judge_note = judge_status_text(job)
        self._refresh_status()
