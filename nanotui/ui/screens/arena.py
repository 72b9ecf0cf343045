"""The arena: one live pane per model while the run goes on.

The run is an async Textual worker on the app's event loop, so the engine's sink is called on
the UI thread and touches no widget: it folds each event into the :class:`LiveBoard`, queues
it on its pane and records it in the store. One timer (10 Hz) folds the queues into the panes'
transcripts and redraws the counters, so the UI's work does not grow with the token rate.
Anything slow happens off the UI thread: SDK imports, the tokenizer, the checks.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import math
import time
from collections.abc import Callable
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from nanotui.engine.events import AgentFinished, Event
from nanotui.engine.live import LiveBoard
from nanotui.engine.orchestrator import Orchestrator, RunInterrupted, new_run_id, now_iso
from nanotui.engine.plan import RunPlan
from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.retry import RetryPolicy
from nanotui.ui.screens.confirm import ConfirmScreen
from nanotui.ui.widgets.agent_pane import AgentPane, Clock, Estimates

REFRESH_HZ = 10
# Imported in a thread before the run starts: importing an SDK on the UI thread stalls it
# for up to ~1.2 s (anthropic). The stream event types are then prepared too (pydantic builds
# their validators on first use: ~0.4 s for OpenAI's response.completed, on the UI thread).
SDK_FOR_PROTOCOL = {
    "openai_responses": ("openai", "openai.types.responses", "ResponseStreamEvent"),
    "openai_chat": ("openai", "openai.types.chat", "ChatCompletionChunk"),
    "anthropic_messages": ("anthropic", "anthropic.types", "RawMessageStreamEvent"),
    "ollama_chat": ("ollama", "ollama", "ChatResponse"),
}
# A pane narrower or lower than this is hard to read (its header needs ~36 columns); the
# grid trades columns for rows to stay above it where the terminal allows.
MIN_PANE_WIDTH = 36
MIN_PANE_HEIGHT = 8
CELL_ASPECT = 2.2  # terminal cells are about twice as tall as wide


def grid_shape(count: int, width: int, height: int) -> tuple[int, int]:
    """(columns, rows) for ``count`` panes in ``width`` x ``height`` cells: among the shapes
    whose panes stay readable, the one whose smaller pane side (in square units) is largest;
    ties go to fewer columns."""
    if count <= 1:
        return 1, 1
    shapes = []
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        if (cols - 1) * rows >= count:  # a whole column would be empty
            continue
        pane_w, pane_h = width / cols, height / rows
        readable = pane_w >= MIN_PANE_WIDTH and pane_h >= MIN_PANE_HEIGHT
        shapes.append((readable, min(pane_w, CELL_ASPECT * pane_h), -cols, rows))
    readable, _, neg_cols, rows = max(shapes)
    return -neg_cols, rows


def _prepare_models(annotation: object, seen: set[int]) -> None:
    """model_rebuild() every pydantic model in a (union) type annotation, recursively."""
    import typing

    if id(annotation) in seen:
        return
    seen.add(id(annotation))
    rebuild = getattr(annotation, "model_rebuild", None)
    if isinstance(annotation, type) and callable(rebuild):
        rebuild()
        return
    for arg in typing.get_args(annotation):
        _prepare_models(arg, seen)


def _preload_sdks(protocols: set[str]) -> None:
    for protocol in protocols:
        try:
            importlib.import_module(f"nanotui.providers.{protocol}")
            sdk = SDK_FOR_PROTOCOL.get(protocol)
            if sdk is not None:
                package, module, name = sdk
                importlib.import_module(package)
                _prepare_models(getattr(importlib.import_module(module), name), set())
        except Exception:  # a missing SDK: the agent reports its own error when it tries
            pass


class StatusLine(Widget):
    """The run's one-line summary, repainted in place (no layout pass)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.markup = ""

    def show(self, markup: str) -> None:
        if markup != self.markup:
            self.markup = markup
            self.refresh()

    def render(self) -> Content:
        return Content.from_markup(self.markup)


class KeyHints(StatusLine):
    """The arena's key line. Textual's Footer rebuilds its key widgets on every focus change,
    which cost ~40 ms per arrow key with sixteen panes streaming; this line is redrawn only
    when what the keys do changes (zoom, run over)."""


class ArenaScreen(Screen[None]):
    """Runs ``plan`` and shows it live. Posts :class:`RunFinished` when the run is over and
    :class:`ShowResults` when the user asks for the results."""

    ESCAPE_TO_MINIMIZE = True
    ALLOW_IN_MAXIMIZED_VIEW = "#arena-status, #arena-keys"
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
        Binding("pageup", "scroll_pane('page_up')", "Scroll up", show=False, id="arena.page_up"),
        Binding("pagedown", "scroll_pane('page_down')", "Scroll down", show=False, id="arena.page_down"),
        Binding("home", "scroll_pane('home')", "Top", show=False, id="arena.home"),
        Binding("end", "scroll_pane('end')", "Bottom", show=False, id="arena.end"),
        Binding("c", "cancel_agent", "Cancel agent", id="arena.cancel_agent"),
        Binding("r", "results", "Results", id="arena.results"),
        # escape: un-zoom when zoomed (Textual's minimize), else ask to cancel, else go back
        Binding("escape", "unzoom", "Back to grid", id="arena.unzoom"),
        Binding("escape", "cancel_run", "Cancel run", id="arena.cancel_run"),
        Binding("escape", "leave", "Back", id="arena.leave"),
        Binding("ctrl+c", "interrupt", "Cancel run", show=False, priority=True, id="arena.ctrl_c"),
    ]

    class RunFinished(Message):
        """The run is over (finished, or cancelled from the arena); ``run`` has every agent."""

        def __init__(self, run: RunResult) -> None:
            super().__init__()
            self.run = run

    class ShowResults(Message):
        """The user asked to see the results of ``run``."""

        def __init__(self, run: RunResult) -> None:
            super().__init__()
            self.run = run

    def __init__(
        self,
        plan: RunPlan,
        *,
        store: Any = None,
        on_done: Callable[[RunResult], None] | None = None,
        clock: Clock = time.monotonic,
        retry_policy: RetryPolicy | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.plan = plan
        self.store = store
        self.on_done = on_done
        self.clock = clock
        self.retry_policy = retry_policy or RetryPolicy()
        self.run_id = new_run_id()
        self.board = LiveBoard()
        self.agent_ids = [f"a{i + 1}" for i in range(len(plan.specs))]
        for agent_id, spec in zip(self.agent_ids, plan.specs):
            self.board.add(agent_id, spec.spec, spec.display_name)
        self.result: RunResult | None = None
        self.orchestrator: Orchestrator | None = None
        self._panes: dict[str, AgentPane] = {}
        self._cancel_requested = False
        self._started_at: float | None = None
        self._finished_at: float | None = None
        self._store_failed = False
        self._columns = 1

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="arena-status")
        with Grid(id="arena-grid"):
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
        self.set_interval(1 / REFRESH_HZ, self.tick, name="arena-refresh")
        self._load_estimates()
        self._run()

    def on_resize(self) -> None:
        self._layout_grid()

    def _layout_grid(self) -> None:
        grid = self.query_one("#arena-grid", Grid)
        width, height = self.size.width, max(1, self.size.height - 2)  # status line + footer
        cols, rows = grid_shape(len(self.agent_ids), width, height)
        self._columns = cols
        grid.styles.grid_size_columns = cols
        grid.styles.grid_size_rows = rows
        grid.styles.grid_columns = "1fr"
        grid.styles.grid_rows = "1fr"

    @property
    def panes(self) -> list[AgentPane]:
        return [self._panes[a] for a in self.agent_ids if a in self._panes]

    def pane(self, agent_id: str) -> AgentPane:
        return self._panes[agent_id]

    @property
    def done(self) -> bool:
        return self.result is not None

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
        await asyncio.to_thread(_preload_sdks, {spec.protocol for spec in plan.specs})
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

    @work(thread=True, exclusive=True, group="arena-estimates", exit_on_error=False)
    def _load_estimates(self) -> None:
        """Tokenizer and prices, loaded off the UI thread (the tokenizer takes ~0.5 s)."""
        from nanotui.engine.pricing import known_price
        from nanotui.engine.tokens import TokenizerUnavailable, encoding_name_for, first_turn_tokens, load_encoding

        prompt = self.plan.agent_task.prompt
        loaded: dict[str, tuple[object, int]] = {}
        estimates: dict[str, Estimates] = {}
        for agent_id, spec in zip(self.agent_ids, self.plan.specs):
            name = encoding_name_for(spec.provider, spec.model)
            if name not in loaded:
                try:
                    encoding = load_encoding(name)
                except TokenizerUnavailable:
                    return  # no estimates: the panes show the providers' exact figures only
                loaded[name] = (encoding, first_turn_tokens(prompt, encoding))
            try:
                price = known_price(spec.provider, spec.model, spec.price_as)
            except Exception:
                price = None
            encoding, tokens = loaded[name]
            estimates[agent_id] = Estimates(encoding, tokens, price)
        try:
            self.app.call_from_thread(self._apply_estimates, estimates)
        except Exception:  # the app closed while we loaded
            pass

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported (the estimates are optional)."""
        if event.state != WorkerState.ERROR or event.worker.group != "arena-run":
            return
        error = event.worker.error
        self.notify(f"The run stopped: {type(error).__name__}: {error}", severity="error", timeout=15)

    def _apply_estimates(self, estimates: dict[str, Estimates]) -> None:
        for agent_id, est in estimates.items():
            pane = self._panes.get(agent_id)
            if pane is not None:
                pane.set_estimates(est)

    def tick(self) -> None:
        """Fold queued events into the panes and redraw the counters (the timer calls this)."""
        now = self.clock()
        for pane in self.panes:
            pane.flush()
            pane.refresh_counters(now)
        self._refresh_status(now)

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
        if self.result is not None:
            state = "[$warning]cancelled[/]" if self.result.interrupted else "[$success]finished[/]"
            tail = f"{state} in {elapsed:.1f}s — r: results"
        else:
            tail = f"{elapsed:.1f}s"
        self.query_one("#arena-status", StatusLine).show(f"[b]{escape(title)}[/b]  {counts}  {tail}")

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

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "results":
            return self.done
        if action == "cancel_agent":
            return not self.done
        if action == "unzoom":
            return self.maximized is not None
        if action == "cancel_run":
            return not self.done and self.maximized is None
        if action == "interrupt":
            return not self.done
        if action == "leave":
            return self.done and self.maximized is None
        return True

    def watch_maximized(self) -> None:
        self._refresh_keys()  # escape un-zooms while zoomed

    def _refresh_keys(self) -> None:
        """Show the keys that do something now, as the footer would."""
        shown: list[str] = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if not binding.show or self.check_action(binding.action.split("(")[0], ()) is not True:
                continue
            key = {"enter": "⏎", "escape": "esc"}.get(binding.key, binding.key)
            label = "Unzoom" if binding.action == "zoom" and self.maximized is not None else binding.description
            shown.append(f"[b $footer-key-foreground]{escape(key)}[/] {escape(label)}")
        shown.append("[b $footer-key-foreground]^p[/] palette")
        self.query_one("#arena-keys", KeyHints).show("  ".join(shown))

    def _focused_pane(self) -> AgentPane | None:
        node = self.focused
        while node is not None:
            if isinstance(node, AgentPane):
                return node
            node = node.parent  # type: ignore[assignment]
        return None

    def action_move_focus(self, direction: str) -> None:
        panes = self.panes
        if not panes:
            return
        current = self._focused_pane()
        if self.maximized is not None and current is not None:
            # Zoomed in: the arrows scroll the pane instead.
            if direction in ("up", "down"):
                current.scroll(direction)
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
        if self.maximized is not None:
            self.maximize(panes[target], container=False)
        panes[target].focus()

    def action_zoom(self) -> None:
        pane = self._focused_pane()
        if pane is None:
            return
        if self.maximized is pane:
            self.minimize()
        else:
            self.maximize(pane, container=False)

    def action_toggle_reasoning(self) -> None:
        pane = self._focused_pane()
        if pane is not None:
            pane.toggle_reasoning()

    def action_scroll_pane(self, where: str) -> None:
        pane = self._focused_pane()
        if pane is None:
            return
        pane.scroll(where)

    def action_cancel_agent(self) -> None:
        pane = self._focused_pane()
        if pane is None or self.orchestrator is None:
            return
        if self.orchestrator.cancel(pane.agent_id):
            self.notify(f"Cancelling {pane.live.display_name}…", timeout=3)
        else:
            self.notify(f"{pane.live.display_name} is not running.", severity="warning", timeout=3)

    def action_unzoom(self) -> None:
        self.minimize()

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
                self._cancel_requested = True
                if self.orchestrator is not None:
                    self.orchestrator.cancel_all()

        self.app.push_screen(ConfirmScreen(question, yes="Cancel run", no="Keep running"), answered)

    def action_results(self) -> None:
        if self.result is not None:
            self.post_message(self.ShowResults(self.result))

    def action_leave(self) -> None:
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()


