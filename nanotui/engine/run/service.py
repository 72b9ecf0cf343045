"""The one run sequence, for the CLI and the app alike: begin the run in history,
orchestrate the agents, record every event, finish the run, judge it and save the verdict.

The history is reached through :class:`RunHistory` (``RunStore`` is one); a history that
fails never stops the agents: the first problem is kept in :attr:`RecordedRun.history_error`
and recording stops, while the run and its results go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from nanotui.engine.agent.provider import ProviderRegistry
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.clock import new_run_id
from nanotui.engine.events import Event, Sink
from nanotui.engine.results import RunResult, TaskRef
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.orchestrator import Orchestrator, RunInterrupted
from nanotui.engine.run.plan import RunPlan
from nanotui.engine.run.scheduler import Scheduler
from nanotui.engine.verdict.judge import JudgeProgress
from nanotui.engine.verdict.jury import DEFAULT_PASSES, Jury
from nanotui.engine.verdict.verdict import Verdict


class RunHistory(Protocol):
    """What the run sequence needs from the history (``nanotui.engine.history.store.RunStore``)."""

    error: str | None  # the first write failure while recording, if any

    def begin_run(
        self,
        run_id: str,
        task: TaskRef,
        specs: Sequence[ModelSpec],
        plan: dict[str, Any],
        *,
        agent_ids: list[str] | None = None,
        started_at: str | None = None,
        suite_id: str | None = None,
    ) -> None: ...

    def resume_run(self, run_id: str) -> None: ...

    def record(self, event: Event, run_id: str | None = None) -> None: ...

    def finish_run(self, run: RunResult) -> None: ...

    def mark_interrupted(self, run_id: str | None = None, run: RunResult | None = None) -> None: ...

    def add_verdict(self, run_id: str, verdict: Verdict) -> int: ...

    def begin_suite(self, suite_id: str, name: str | None, spec: dict[str, Any]) -> None: ...

    def reopen_suite(self, suite_id: str) -> None: ...

    def finish_suite(self, suite_id: str, status: str) -> None: ...


JudgeProgressSink = Callable[[JudgeProgress], None]


async def judge_run(
    run: RunResult,
    rubric: str | None,
    jurors: Sequence[ModelSpec],
    *,
    providers: ProviderRegistry,
    passes: int = DEFAULT_PASSES,
    history: RunHistory | None = None,
    progress: JudgeProgressSink | None = None,
) -> Verdict:
    """Judge ``run`` with a jury of ``jurors`` (one is a single judge) and keep the verdict in
    ``history`` (the verdict is returned either way: the grades on screen do not depend on
    the disk)."""
    verdict = await Jury(list(jurors), providers=providers, passes=passes).grade(run, rubric, progress)
    if history is not None:
        history.add_verdict(run.run_id, verdict)
    return verdict


class RecordedRun:
    """One run of ``plan``: :meth:`execute` then :meth:`judge`."""

    def __init__(
        self,
        plan: RunPlan,
        *,
        providers: ProviderRegistry,
        history: RunHistory | None = None,
        jurors: Sequence[ModelSpec] = (),
        judge_passes: int = DEFAULT_PASSES,
        trials: int = 1,
        sink: Sink | None = None,
        retry_policy: RetryPolicy | None = None,
        run_id: str | None = None,
        suite_id: str | None = None,
        resume: RunResult | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        """``resume``: a stored run cut short; only its agents without a committed result
        run again (with their own ids), the others are kept as they were."""
        self.plan = plan
        self.providers = providers
        self.history = history
        self.jurors = list(jurors)
        self.judge_passes = judge_passes
        self.trials = trials
        self.run_id = run_id or new_run_id()
        self._sink = sink
        self.history_error: str | None = None
        self.result: RunResult | None = None
        self.verdict: Verdict | None = None
        self._begun = False
        self.suite_id = suite_id
        self.resume = resume
        agent_ids = None
        specs = plan.specs
        if resume is not None:
            self.run_id = resume.run_id
            pending = set(resume.extra.get("unfinished", []))
            all_ids = [a.agent_id for a in resume.agents]
            agent_ids = [a for a in all_ids if a in pending]
            specs = [s for a, s in zip(all_ids, plan.specs) if a in pending]
        self.orchestrator = Orchestrator(
            plan.agent_task,
            specs,
            providers=providers,
            task_ref=plan.task_ref,
            limits=plan.limits,
            sink=self._on_event,
            retry_policy=retry_policy or RetryPolicy(),
            after_agent=plan.after_agent,  # the task's checks, in a thread
            run_id=self.run_id,
            agent_ids=agent_ids,
            scheduler=scheduler,  # shared by every task of a suite: one queue, one set of limits
        )

    @property
    def agent_ids(self) -> list[str]:
        return self.orchestrator.agent_ids

    # -- recording ------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if self._sink is not None:
            self._sink(event)
        if self.history is not None and self.history_error is None:
            try:
                self.history.record(event, self.run_id)
            except Exception as exc:
                self._history_failed("record an event", exc)

    def _history_failed(self, what: str, exc: BaseException) -> None:
        if self.history_error is None:
            self.history_error = f"could not {what} ({type(exc).__name__}: {exc})"

    def _history_step(self, what: str, step: Callable[[], object]) -> None:
        if self.history is None or self.history_error is not None:
            return
        try:
            step()
        except Exception as exc:
            self._history_failed(what, exc)

    def begin(self) -> None:
        """Record the run as started (done by :meth:`execute` if not called before)."""
        if self._begun:
            return
        self._begun = True
        history = self.history
        if history is None:
            return
        if self.resume is not None:
            self._history_step("record the resumed run", lambda: history.resume_run(self.run_id))
            return
        judge = ", ".join(j.spec for j in self.jurors) or None
        plan = self.plan.describe(trials=self.trials, judge=judge)
        self._history_step(
            "start recording the run",
            lambda: history.begin_run(self.run_id, self.plan.task_ref, self.plan.specs, plan,
                                      agent_ids=list(self.agent_ids), suite_id=self.suite_id),
        )

    def _finish(self, run: RunResult) -> None:
        run.extra["trials"] = self.trials
        history = self.history
        if history is not None:
            self._history_step("save the run", lambda: history.finish_run(run))
            if self.history_error is None and history.error:
                self.history_error = history.error

    # -- the sequence ---------------------------------------------------------------------

    async def execute(self) -> RunResult:
        """Begin, orchestrate, record and finish. Cancelling the caller interrupts the run:
        what finished is saved and :class:`RunInterrupted` carries it."""
        self.begin()
        try:
            run = await self.orchestrator.run()
        except RunInterrupted as exc:
            self.result = exc.run
            self._finish(exc.run)
            raise
        except BaseException:
            history = self.history
            if history is not None:
                self._history_step("mark the run interrupted", lambda: history.mark_interrupted(self.run_id))
            raise
        if self.orchestrator.cancelled:
            run.interrupted = True
        if self.resume is not None:  # the agents kept from before, and the ones run now, in order
            fresh = {a.agent_id: a for a in run.agents}
            run.agents = [fresh.get(a.agent_id, a) for a in self.resume.agents]
            run.started_at = self.resume.started_at
        self.result = run
        self._finish(run)
        return run

    async def judge(self, progress: JudgeProgressSink | None = None) -> Verdict | None:
        """Judge the finished run with the chosen jury, if any, and keep the verdict."""
        if self.result is None or not self.jurors or not self.result.agents:
            return None
        history = self.history if self.history_error is None else None
        self.verdict = await judge_run(self.result, self.plan.rubric, self.jurors, providers=self.providers,
                                       passes=self.judge_passes, history=history, progress=progress)
        return self.verdict

    def cancel(self, agent_id: str) -> bool:
        return self.orchestrator.cancel(agent_id)

    def cancel_all(self) -> None:
        self.orchestrator.cancel_all()
