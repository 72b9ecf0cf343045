"""The app's agents in a process of their own, so the UI keeps its core (issue 13).

Profiling 16 panes x 100 tokens/s (docs/performance.md) showed the SDKs' stream parsing and
the agent loop taking about half of the app's one busy core, competing with the UI for the
GIL. The app therefore starts one *agent process* when it opens (``spawn``: a fresh
interpreter, never a fork of a process with Textual's threads in it). That child imports and
prepares the SDKs of the roster's providers at once, then waits for a plan. When the arena
starts a run it hands the plan over; the child runs the engine's own
:class:`~nanotui.engine.run.service.RecordedRun` (the clocks, the SDKs and the history writes
all stay in the child) and sends the events back in batches at the arena's refresh rate.

Messages, child -> parent: ``("preparing", label)``, ``("ready",)``,
``("events", [(monotonic_at, event), ...])``, ``("done", run, history_error)`` or
``("failed", message)``. Parent -> child: ``("run", plan, run_id, history_path,
retry_policy)``, ``("cancel", agent_id)``, ``("cancel_all",)``, ``("interrupt",)``,
``("quit",)``. A parent that goes away (the pipe closes) interrupts the run: what finished is
saved, as with Ctrl+C in ``nanotui run``.

This module is imported by the child: it must not import Textual.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nanotui.engine.errors import NanotuiError
from nanotui.engine.events import AgentFinished, Event, ReasoningDelta, TextDelta
from nanotui.engine.roster.spec import ModelSpec

if TYPE_CHECKING:  # the child imports the run's modules in its low-priority preparation
    from nanotui.engine.agent.retry import RetryPolicy
    from nanotui.engine.results import RunResult
    from nanotui.engine.run.plan import RunPlan

BATCH_HZ = 10  # the arena's refresh rate: more often would only wake the UI for nothing
PROTOCOL_LABELS = {
    "openai_responses": "OpenAI",
    "openai_chat": "OpenAI",
    "anthropic_messages": "Anthropic",
    "ollama_chat": "Ollama",
    "local": "on-device model",
}
TimedEvent = tuple[float, Event]


def protocol_label(protocol: str) -> str:
    return PROTOCOL_LABELS.get(protocol, protocol)


_tracker_lock = threading.Lock()


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real stderr. It hands its child
    ``sys.stderr.fileno()``, which is -1 while Textual captures output, and the spawn then
    fails with "bad value(s) in fds_to_keep"."""
    from multiprocessing import resource_tracker

    with _tracker_lock:
        stderr = sys.stderr
        try:
            captured = stderr is not None and stderr.fileno() < 0
        except (OSError, ValueError, AttributeError):
            captured = False  # no descriptor at all: the tracker copes with that itself
        if captured and sys.__stderr__ is not None:
            sys.stderr = sys.__stderr__
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = stderr


class AgentProcess:
    """A warm child process, ready for one run. ``preparing`` says what it is doing until
    it is ready (``None`` then)."""

    def __init__(self, specs: list[ModelSpec]) -> None:
        _start_resource_tracker()
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        # Not a daemon: a child still saving an interrupted run is waited for at exit.
        self._proc = ctx.Process(target=_child_main, args=(child_conn, specs), name="nanotui-agents")
        self._proc.start()
        child_conn.close()
        first = sorted({s.protocol for s in specs})
        self.preparing: str | None = f"preparing the {protocol_label(first[0])} client…" if first else None
        self.ready = threading.Event()
        self.used = False
        # Before multiprocessing's own exit hook joins its children (atexit runs last-in
        # first): an idle child is told to go, a running one to save what finished and stop.
        atexit.register(self._at_exit)

    def _at_exit(self) -> None:
        if self.used:
            self.send("interrupt")  # save what finished, then stop (waited for at exit)
        else:
            self.close()

    def wait_ready(self) -> None:
        """Block until the SDKs are prepared (for a caller that must not start cold)."""
        while not self.ready.is_set():
            self.recv()

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def recv(self) -> tuple[Any, ...]:
        """The next message (blocking; call it off the event loop)."""
        message: tuple[Any, ...] = self._conn.recv()
        if message[0] == "preparing":
            self.preparing = f"preparing the {message[1]} client…"
        elif message[0] == "ready":
            self.preparing = None
            self.ready.set()
        return message

    def send(self, *message: Any) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError):  # the child is gone; its end says why
            pass

    def close(self) -> None:
        """Let an idle child go at once: it holds nothing to save, and one still preparing
        its SDKs would otherwise hold up the app's exit until it is done."""
        self.send("quit")
        self._conn.close()
        if not self.used and self._proc.is_alive():
            self._proc.terminate()

    def exitcode(self, wait_s: float = 1.0) -> int | None:
        self._proc.join(wait_s)
        return self._proc.exitcode


def remote_run_for(
    app: object,
    plan: RunPlan,
    *,
    own_registry: bool,
    store: object,
    run_id: str,
    agent_ids: list[str],
    retry_policy: RetryPolicy | None,
    sink: Callable[[Event, float], None],
    suite_id: str | None = None,
) -> RemoteRun | None:
    """The run in the app's warm agent process, when the app has one and the run uses the
    SDK registry and a history on disk (or none); ``None``: run it in this process."""
    take = getattr(app, "take_agent_process", None)
    if take is None or not own_registry:
        return None
    history_path = None
    if store is not None:
        from nanotui.engine.history.store import RunStore

        if not isinstance(store, RunStore):
            return None
        history_path = store.path
    process = take(plan.specs)
    if process is None:
        return None
    return RemoteRun(process, plan, run_id=run_id, agent_ids=agent_ids, history_path=history_path,
                     retry_policy=retry_policy, sink=sink, suite_id=suite_id)


class RemoteRun:
    """A :class:`RecordedRun` in an :class:`AgentProcess`, with the arena's side of its
    interface: ``execute``, ``cancel``, ``cancel_all``, ``history_error``."""

    def __init__(
        self,
        process: AgentProcess,
        plan: RunPlan,
        *,
        run_id: str,
        agent_ids: list[str],
        history_path: Path | None,
        retry_policy: RetryPolicy | None,
        sink: Callable[[Event, float], None],
        suite_id: str | None = None,
    ) -> None:
        self.process = process
        self.suite_id = suite_id
        self.plan = plan
        self.run_id = run_id
        self.agent_ids = agent_ids
        self.history_path = history_path
        self.retry_policy = retry_policy
        self._sink = sink
        self._finished: set[str] = set()
        self.history_error: str | None = None
        self.result: RunResult | None = None

    def start(self) -> None:
        """Hand the plan to the agent process (:meth:`execute` does it if not done yet)."""
        if not self.process.used:
            self.process.used = True
            self.process.send("run", self.plan, self.run_id, self.history_path, self.retry_policy, self.suite_id)

    async def execute(self) -> RunResult:
        process = self.process
        self.start()
        try:
            while True:
                try:
                    message = await asyncio.to_thread(process.recv)
                except (EOFError, OSError):
                    code = await asyncio.to_thread(process.exitcode)
                    raise NanotuiError(f"the agents' process stopped unexpectedly (exit code {code})") from None
                kind = message[0]
                if kind == "events":
                    for at, event in message[1]:
                        if isinstance(event, AgentFinished):
                            self._finished.add(event.agent_id)
                        self._sink(event, at)
                elif kind == "done":
                    run, self.history_error = message[1], message[2]
                    self.result = run
                    return run
                elif kind == "failed":
                    raise NanotuiError(message[1])
        except asyncio.CancelledError:
            # The screen went away mid-run: the child saves what finished, then exits.
            process.send("interrupt")
            raise

    def cancel(self, agent_id: str) -> bool:
        if agent_id in self._finished or self.result is not None:
            return False
        self.process.send("cancel", agent_id)
        return True

    def cancel_all(self) -> None:
        if self.result is None:
            self.process.send("cancel_all")


# -- the child ------------------------------------------------------------------------------


def _child_main(conn: Connection, specs: list[ModelSpec]) -> None:  # pragma: no cover - child process
    providers: Any = None
    by_protocol: dict[str, list[ModelSpec]] = {}
    for spec in specs:
        by_protocol.setdefault(spec.protocol, []).append(spec)
    def prepare() -> None:
        # At a lower priority: the app is drawing its first screen and checking the roster
        # on the same two cores. Only this thread is niced (Linux); the run goes at full
        # priority in the main thread, so its clocks are not slowed.
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):
            pass
        nonlocal providers
        from nanotui.providers.registry import SdkProviders

        providers = SdkProviders()
        try:
            for protocol in sorted(by_protocol):
                conn.send(("preparing", protocol_label(protocol)))
                providers.preload(by_protocol[protocol][:1])
            _warm_up(providers, specs)
        except OSError:
            pass  # the app has gone; recv below says so

    preparing = threading.Thread(target=prepare, name="nanotui-agents-prepare")
    preparing.start()
    preparing.join()
    try:
        conn.send(("ready",))
        message = conn.recv()
    except (EOFError, OSError):
        return
    if message[0] != "run":
        return
    _, plan, run_id, history_path, retry_policy, suite_id = message
    try:
        asyncio.run(_run(conn, providers, plan, run_id, history_path, retry_policy, suite_id))
    except Exception as exc:  # reported on the arena; the run's own errors are in its result
        try:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass


def _warm_up(providers: Any, specs: list[ModelSpec]) -> None:  # pragma: no cover - child process
    """What the first agent of a run would otherwise pay for before its first request
    (profiled: ~0.2 s on a 2-core Xeon): the run's own imports, the price data, and one
    client per protocol (the shared SSL context loads the CA bundle). No request is made."""
    import importlib

    from nanotui.engine.roster.pricing import cost_usd
    from nanotui.engine.usage import Usage

    for module in ("nanotui.engine.history.store", "nanotui.engine.run.service"):
        importlib.import_module(module)
    for spec in specs:
        try:
            cost_usd(spec.provider, spec.model, Usage(), price_as=spec.price_as)
        except Exception:
            pass
    for spec in {s.protocol: s for s in specs if s.protocol != "local"}.values():  # (local: loads the model)
        try:
            providers.create(spec)
        except Exception:  # a missing key or runtime is reported when the agent starts
            pass


async def _run(conn: Connection, providers: Any, plan: RunPlan, run_id: str, history_path: Path | None,
               retry_policy: RetryPolicy | None, suite_id: str | None = None) -> None:  # pragma: no cover - child process
    from nanotui.engine.run.orchestrator import RunInterrupted
    from nanotui.engine.run.service import RecordedRun

    history = None
    if history_path is not None:
        from nanotui.engine.history.store import RunStore

        history = RunStore(history_path)
    batch: list[TimedEvent] = []
    clock = time.monotonic  # the same clock in both processes (CLOCK_MONOTONIC)
    loop = asyncio.get_running_loop()
    last_sent = 0.0
    flush_due: asyncio.TimerHandle | None = None

    last_delta: dict[str, int] = {}  # agent -> index in the batch of its latest event, if a delta

    def flush() -> None:
        nonlocal last_sent, flush_due
        flush_due = None
        last_delta.clear()
        if batch:
            events, batch[:] = list(batch), []
            last_sent = clock()
            send(("events", events))

    def sink(event: Event) -> None:
        # The first event after a quiet spell goes at once (the first token is not held
        # back); then at most BATCH_HZ batches a second.
        nonlocal flush_due
        kind = type(event)
        if kind is TextDelta or kind is ReasoningDelta:
            # An agent's deltas in one batch go as one (its text joined, the first one's
            # times): a tenth of the events for the UI to unpickle and fold, same text.
            i = last_delta.get(event.agent_id)
            if i is not None and type(batch[i][1]) is kind:
                seen, prev = batch[i]
                batch[i] = (seen, kind(event.agent_id, prev.text + event.text, at=prev.at))  # type: ignore[union-attr]
                return
            last_delta[event.agent_id] = len(batch)
        else:
            last_delta.pop(event.agent_id, None)
        batch.append((clock(), event))
        if flush_due is None:
            flush_due = loop.call_at(max(loop.time(), last_sent + 1 / BATCH_HZ), flush)  # loop.time() is monotonic

    recorded = RecordedRun(plan, providers=providers, history=history, sink=sink, retry_policy=retry_policy,
                           run_id=run_id, suite_id=suite_id)
    task = asyncio.ensure_future(recorded.execute())
    parent_gone = False

    def send(message: tuple[Any, ...]) -> None:
        nonlocal parent_gone
        if parent_gone:
            return
        try:
            conn.send(message)
        except OSError:  # the UI went away: stop, and save what finished
            parent_gone = True
            task.cancel()

    def command(message: tuple[Any, ...] | None) -> None:
        if message is None or message[0] in ("interrupt", "quit"):
            task.cancel()
        elif message[0] == "cancel":
            recorded.cancel(message[1])
        elif message[0] == "cancel_all":
            recorded.cancel_all()

    def listen() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = None
            try:
                loop.call_soon_threadsafe(command, message)
            except RuntimeError:  # the loop is closed: the run is over
                return
            if message is None:
                return

    threading.Thread(target=listen, name="nanotui-agents-commands", daemon=True).start()
    await asyncio.wait([task])
    run: RunResult | None
    try:
        run = task.result()
    except (RunInterrupted, asyncio.CancelledError):
        run = recorded.result
    if run is None:
        return
    if flush_due is not None:
        flush_due.cancel()
    flush()
    send(("done", run, recorded.history_error))
    if history is not None:
        history.close()
