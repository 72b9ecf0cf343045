"""Runs N agents concurrently on one task, each in its own sandbox, each taking a slot of its
provider from a :class:`Scheduler` (shared by every run of a suite); any agent or all of them
can be cancelled."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from nanotui.engine.agent.diffs import file_diffs
from nanotui.engine.agent.loop import Agent, AgentTask, Limits
from nanotui.engine.agent.provider import Provider, ProviderRegistry, close_quietly
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.timeline import TimelineBuilder
from nanotui.engine.agent.workspace import clean_stale_copies
from nanotui.engine.clock import new_run_id, now_iso
from nanotui.engine.errors import NanotuiError
from nanotui.engine.events import AgentFinished, AgentQueued, AgentStarted, Event, Sink
from nanotui.engine.results import AgentResult, RunResult, TaskRef
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.scheduler import DEFAULT_PROVIDER_LIMITS, BudgetReached, Scheduler

__all__ = ["DEFAULT_PROVIDER_LIMITS", "Orchestrator", "RunInterrupted"]

AfterAgent = Callable[[AgentResult, Sandbox], Awaitable[None] | None]


class Orchestrator:
    def __init__(
        self,
        task: AgentTask,
        specs: list[ModelSpec],
        *,
        providers: ProviderRegistry,
        task_ref: TaskRef | None = None,
        limits: Limits = Limits(),
        sink: Sink = lambda e: None,
        retry_policy: RetryPolicy = RetryPolicy(),
        provider_limits: dict[str, int] | None = None,
        after_agent: AfterAgent | None = None,
        run_id: str | None = None,
        agent_ids: list[str] | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.task = task
        self.specs = specs
        self.task_ref = task_ref or TaskRef(None, task.prompt)
        self.limits = limits
        self.sink = sink
        self.retry_policy = retry_policy
        # provider_limits only shape a scheduler of this run's own; a shared one has its limits.
        self.scheduler = scheduler or Scheduler(provider_limits)
        self.after_agent = after_agent
        self.run_id = run_id or new_run_id()
        # a1..aN by position; a resumed run passes the ids of the agents it runs again
        self.agent_ids = agent_ids or [f"a{i + 1}" for i in range(len(specs))]
        self._tasks: dict[str, asyncio.Task[AgentResult]] = {}
        self.providers = providers
        self.results: dict[str, AgentResult] = {}
        self.cancelled = False  # cancel_all() was called: agents not yet started never start

    def cancel(self, agent_id: str) -> bool:
        task = self._tasks.get(agent_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def cancel_all(self) -> None:
        self.cancelled = True
        for agent_id in self._tasks:
            self.cancel(agent_id)

    async def run(self) -> RunResult:
        started = now_iso()
        # Copies left behind by a nanotui that was killed are removed before new ones are made.
        await asyncio.to_thread(clean_stale_copies)
        await asyncio.to_thread(self.providers.preload, self.specs)
        for agent_id, spec in zip(self.agent_ids, self.specs):
            self._tasks[agent_id] = asyncio.create_task(self._run_one(agent_id, spec), name=agent_id)
        interrupted = False
        try:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        except asyncio.CancelledError:
            interrupted = True
            self.cancel_all()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        agents = [self.results[a] for a in self.agent_ids if a in self.results]
        run = RunResult(self.run_id, self.task_ref, agents, started, now_iso(), interrupted)
        if interrupted:
            raise RunInterrupted(run)
        return run

    async def _run_one(self, agent_id: str, spec: ModelSpec) -> AgentResult:
        result: AgentResult | None = None
        sandbox: Sandbox | None = None
        provider: Provider | None = None
        queued_at = time.monotonic()
        queue_s = 0.0  # before the start; the lease adds what it waited between turns
        ran = False
        timeline = TimelineBuilder()

        def sink(event: Event) -> None:  # the agent's events, also folded into its timeline
            timeline.feed(event)
            self.sink(event)

        def on_queued(reason: str) -> None:
            sink(AgentQueued(agent_id, spec.spec, spec.display_name, reason, at=time.monotonic() - queued_at))

        try:
            async with self.scheduler.slot(spec, agent_id, on_queued=on_queued) as lease:
                queue_s = lease.queue_s
                if self.cancelled:
                    raise asyncio.CancelledError
                sandbox = await _create_sandbox(self.task.workspace)
                provider = self.providers.create(spec)
                agent = Agent(
                    agent_id,
                    spec,
                    provider,
                    self.task,
                    sandbox,
                    limits=self.limits,
                    sink=sink,
                    retry_policy=self.retry_policy,
                    feedback=lease,
                    queued_s=queue_s,
                )
                result = await agent.run()
                ran = True
        except BudgetReached as exc:
            result = self._failed(agent_id, spec, "budget", str(exc), sink, queued_at)
        except asyncio.CancelledError:
            result = self._failed(agent_id, spec, "cancelled", "cancelled before it started", sink, queued_at)
        except NanotuiError as exc:
            result = self._failed(agent_id, spec, "error", str(exc), sink, queued_at)
        except Exception as exc:
            error = f"internal error: {type(exc).__name__}: {exc}"
            result = self._failed(agent_id, spec, "error", error, sink, queued_at)
        finally:
            await close_quietly(provider)
        if ran:  # the agent's clock starts with its slot; its wall time starts in the queue
            result.queue_s = lease.queue_s
            result.wall_s += queue_s
        else:  # it never ran: all its wall time was waiting
            result.queue_s = result.wall_s = time.monotonic() - queued_at
        result.timeline = timeline.segments(result.wall_s)
        try:
            if sandbox is not None:
                result.file_diffs = file_diffs(self.task.workspace, sandbox.root, result.files_changed)
                if self.after_agent is not None:
                    maybe = self.after_agent(result, sandbox)
                    if inspect.isawaitable(maybe):
                        await maybe
        except Exception as exc:
            result.error = (result.error + "; " if result.error else "") + f"after-run step failed: {exc}"
        finally:
            if sandbox is not None:
                sandbox.cleanup()
        self.results[agent_id] = result
        self.sink(AgentFinished(agent_id, result, at=result.wall_s))
        return result

    def _failed(
        self, agent_id: str, spec: ModelSpec, status: str, error: str, sink: Sink, queued_at: float
    ) -> AgentResult:
        result = AgentResult(agent_id, spec.spec, spec.display_name, status=status, error=error)
        if status != "cancelled":
            sink(AgentStarted(agent_id, spec.spec, spec.display_name, at=time.monotonic() - queued_at))
        return result


async def _create_sandbox(workspace: Path | None) -> Sandbox:
    """Copy the workspace in a thread (a big one would stall every stream); a copy finished
    after the agent was cancelled is removed, not left in the temporary folder."""
    copying = asyncio.ensure_future(asyncio.to_thread(Sandbox.create, workspace))
    try:
        return await asyncio.shield(copying)
    except asyncio.CancelledError:
        copying.add_done_callback(_cleanup_orphan)
        raise


def _cleanup_orphan(copying: asyncio.Future[Sandbox]) -> None:
    if not copying.cancelled() and copying.exception() is None:
        copying.result().cleanup()


class RunInterrupted(Exception):
    """Raised by :meth:`Orchestrator.run` when the run itself was cancelled; carries what
    finished so callers can keep it."""

    def __init__(self, run: RunResult) -> None:
        super().__init__("run interrupted")
        self.run = run

