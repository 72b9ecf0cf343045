"""Running the arena's plan: SDK preloading, the engine's event sink, the run worker and
recording the run in the store."""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import Worker, WorkerState

from nanotui.engine.events import AgentFinished, Event
from nanotui.engine.live import LiveBoard
from nanotui.engine.orchestrator import Orchestrator, RunInterrupted, now_iso
from nanotui.engine.plan import RunPlan
from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.retry import RetryPolicy
from nanotui.providers.base import preload
from nanotui.ui.widgets.agent_pane import AgentPane, Clock

if TYPE_CHECKING:
    from textual.screen import Screen

    _ScreenBase = Screen[None]
else:
    _ScreenBase = object


# Imported in a thread before the run starts: importing an SDK on the UI thread stalls it
# for up to ~1.2 s (anthropic). The stream event types are then prepared too (pydantic builds
# their validators on first use: ~0.4 s for OpenAI's response.completed, on the UI thread).
class ArenaRun(_ScreenBase):
    """The run half of :class:`~nanotui.ui.screens.arena.ArenaScreen`, mixed into it: starts the
    orchestrator in a worker, feeds its events to the board, the panes and the store, and ends
    the run."""

    plan: RunPlan
    store: Any
    on_done: Callable[[RunResult], None] | None
    clock: Clock
    retry_policy: RetryPolicy
    run_id: str
    board: LiveBoard
    agent_ids: list[str]
    result: RunResult | None
    orchestrator: Orchestrator | None
    _panes: dict[str, AgentPane]
    _cancel_requested: bool
    _finished_at: float | None
    _store_failed: bool

    # -- the run ----------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """The engine's sink: runs per token on the UI thread, so it only queues."""
        self.board.apply(event)
        pane = self._panes.get(event.agent_id)
        if pane is not None:
            pane.take(event)
        if self.store is not None and not self._store_failed:
            try:
                self.store.record(event)
            except Exception as exc:
                self._store_problem("record events", exc)

    @work(exclusive=True, group="arena-run", exit_on_error=False)
    async def _run(self) -> None:
        plan = self.plan
        await asyncio.to_thread(preload, plan.specs)
        # What is alive now (Textual, the SDKs, price data, earlier screens) outlives the run:
        # keep it out of the collector's full scans for the run's duration; each scan stalled
        # the UI 100-200 ms while sixteen agents streamed. Collect first so that earlier
        # garbage is not frozen; unfreeze when the run is over so nothing is kept for good.
        gc.collect()
        gc.freeze()
        try:
            await self._run_plan()
        finally:
            gc.unfreeze()

    async def _run_plan(self) -> None:
        plan = self.plan
        orchestrator = Orchestrator(
            plan.agent_task,
            plan.specs,
            task_ref=plan.task_ref,
            limits=plan.limits,
            sink=self._on_event,
            retry_policy=self.retry_policy,
            after_agent=plan.after_agent,  # runs the checks in a thread
            run_id=self.run_id,
        )
        if orchestrator.agent_ids != self.agent_ids:  # the panes are keyed by these ids
            raise RuntimeError("orchestrator agent ids differ from the arena's")
        self._store_begin()
        if self._cancel_requested:  # cancelled while the SDKs were loading: nothing ran
            await self._finish(self._cancelled_before_start())
            return
        self.orchestrator = orchestrator
        try:
            run = await orchestrator.run()
        except RunInterrupted as exc:  # the screen went away mid-run: keep what finished
            self._store_finish(exc.run)
            raise asyncio.CancelledError from None
        if self._cancel_requested:
            run.interrupted = True
        await self._finish(run)

    def _cancelled_before_start(self) -> RunResult:
        agents = []
        for agent_id, spec in zip(self.agent_ids, self.plan.specs):
            result = AgentResult(agent_id, spec.spec, spec.display_name, status="cancelled",
                                 error="cancelled before it started")
            self._on_event(AgentFinished(agent_id, result))
            agents.append(result)
        return RunResult(self.run_id, self.plan.task_ref, agents, now_iso(), now_iso(), interrupted=True)

    async def _finish(self, run: RunResult) -> None:
        self.flush_all()
        self.result = run
        self._finished_at = self.clock()
        self._store_finish(run)
        self._refresh_status()
        self._refresh_keys()
        self.post_message(self.RunFinished(run))
        if self.on_done is not None:
            self.on_done(run)
        self.notify("Run finished: press r for the results.", title="nanotui", timeout=6)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported (the estimates are optional)."""
        if event.state != WorkerState.ERROR or event.worker.group != "arena-run":
            return
        error = event.worker.error
        self.notify(f"The run stopped: {type(error).__name__}: {error}", severity="error", timeout=15)

    # -- the store (duck-typed: nanotui.engine.store.RunStore) ----------------------------

    def _store_begin(self) -> None:
        begin = getattr(self.store, "begin_run", None)
        if begin is None or self._store_failed:
            return
        offered = {
            "run_id": self.run_id,
            "task": self.plan.task_ref,
            "task_ref": self.plan.task_ref,
            "plan": self.plan,
            "specs": self.plan.specs,
            "models": [s.spec for s in self.plan.specs],
            "agent_ids": list(self.agent_ids),
            "limits": self.plan.limits,
            "started_at": now_iso(),
        }
        try:
            params = inspect.signature(begin).parameters
            kwargs = {k: v for k, v in offered.items() if k in params}
            begin(**kwargs)
        except Exception as exc:
            self._store_problem("start recording the run", exc)

    def _store_finish(self, run: RunResult) -> None:
        finish = getattr(self.store, "finish_run", None)
        if finish is None or self._store_failed:
            return
        try:
            finish(run)
        except Exception as exc:
            self._store_problem("save the run", exc)
            return
        # RunStore never raises while recording (agents must go on); it keeps the first failure.
        problem = getattr(self.store, "error", None)
        if problem:
            self._store_failed = True
            self.notify(f"History: {problem}. The results are on screen but not all of the run was saved.",
                        severity="error", timeout=10)

    def _store_problem(self, what: str, exc: Exception) -> None:
        self._store_failed = True
        self.notify(f"History: could not {what} ({type(exc).__name__}: {exc}). The run goes on.",
                    severity="error", timeout=10)
