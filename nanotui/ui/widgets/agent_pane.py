"""One agent's live pane in the arena: a counters header, the transcript, and the error.

Events arrive per token; the pane only queues them (:meth:`AgentPane.take`). The arena's one
refresh timer calls :meth:`AgentPane.flush` (fold the queue into transcript blocks and
re-render what changed) and :meth:`AgentPane.refresh_counters` (the header), so the work per
tick is bounded however fast the model streams.

Times shown here come from the arena's clock (``clock``) as the events reach the UI; the
results screen shows the engine's own wall time and TTFT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Static

from nanotui.engine.events import (
    AgentFinished,
    AgentStarted,
    Event,
    ReasoningDelta,
    RetryScheduled,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from nanotui.engine.roster.pricing import Price
from nanotui.engine.roster.tokens import StreamingEstimate
from nanotui.engine.run.live import LiveAgent
from nanotui.ui.widgets.arena_lines import StatusLine
from nanotui.ui.widgets.find_bar import FindBar
from nanotui.ui.widgets.tool_call import ToolCall
from nanotui.ui.widgets.transcript import NoteBlock, ReasoningBlock, TextBlock, ToolBlock, TranscriptView

if TYPE_CHECKING:
    from tiktoken import Encoding

Clock = Callable[[], float]

RUNNING = frozenset({"thinking", "calling tool", "retrying"})
FAILED = frozenset({"error", "timeout"})
STOPPED = frozenset({"cancelled", "max_turns", "budget"})
# status -> (symbol, theme variable, label)
STATUS_LOOK = {
    "queued": ("○", "$text-muted", "queued"),
    "thinking": ("●", "$primary", "thinking"),
    "calling tool": ("▸", "$secondary", "calling tool"),
    "retrying": ("↻", "$warning", "retrying"),
    "ok": ("✓", "$success", "ok"),
    "error": ("✗", "$error", "error"),
    "timeout": ("✗", "$error", "timeout"),
    "cancelled": ("■", "$warning", "cancelled"),
    "max_turns": ("■", "$warning", "max turns"),
    "budget": ("■", "$warning", "over budget"),
}


@dataclass(frozen=True)
class Estimates:
    """What the pane needs to estimate tokens and cost before the provider reports usage."""

    encoding: Encoding
    first_turn_tokens: int
    price: Price | None


def fmt_secs(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}s" if value < 600 else f"{int(value // 60)}m{int(value % 60):02d}s"


def fmt_tokens(n: int) -> str:
    """1,234 · 12.3k · 1.23M"""
    return f"{n:,}" if n < 10_000 else f"{n / 1000:.1f}k" if n < 1_000_000 else f"{n / 1_000_000:.2f}M"


def fmt_cost(value: float | None) -> str:
    if value is None:
        return "$?"
    if value == 0:
        return "$0"
    if value < 0.0001:
        return f"${value:.6f}"
    return f"${value:.4f}" if value < 10 else f"${value:.2f}"


class Counters(StatusLine):
    """The pane's counter lines. Repainted in place (no layout pass) ten times a second."""

    DEFAULT_CSS = """
    Counters { height: 2; color: $text-muted; }
    Counters.-badge { height: 3; }
    """

    def show(self, markup: str) -> None:
        if markup != self.markup:
            self.set_class(markup.count("\n") >= 2, "-badge")
        super().show(markup)


class AgentPane(Widget, can_focus=True, can_focus_children=False):
    DEFAULT_CSS = """
    AgentPane {
        height: 1fr;
        width: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $foreground;
        border-title-style: bold;
        border-subtitle-align: right;
        padding: 0 1;
        layout: vertical;
    }
    AgentPane:focus { border: heavy $accent; }
    AgentPane.-running { border: round $primary 70%; }
    AgentPane.-running:focus { border: heavy $accent; }
    AgentPane.-ok { border: round $success 70%; }
    AgentPane.-ok:focus { border: heavy $success; }
    AgentPane.-failed { border: round $error; }
    AgentPane.-failed:focus { border: heavy $error; }
    AgentPane.-stopped { border: round $warning 70%; }
    AgentPane.-stopped:focus { border: heavy $warning; }
    AgentPane > #pane-error {
        height: auto;
        max-height: 4;
        display: none;
        color: $error;
        border-top: hkey $error 50%;
    }
    AgentPane.-failed > #pane-error, AgentPane.-stopped > #pane-error { display: block; }
    AgentPane.-stopped > #pane-error { color: $warning; border-top: hkey $warning 50%; }
    """
    # While the find box is open (a zoomed pane's ``/``); escape here closes it before the
    # arena's escape un-zooms.
    BINDINGS = [
        Binding("n", "find_step(1)", "Next match", show=False, id="pane.find_next"),
        Binding("N", "find_step(-1)", "Previous match", show=False, id="pane.find_previous"),
        Binding("escape", "close_find", "Close find", show=False, id="pane.find_close"),
    ]

    def __init__(self, live: LiveAgent, *, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.live = live
        self.agent_id = live.agent_id
        self._clock = clock
        self._pending: list[Event] = []
        self.started_at: float | None = None
        self.first_token_at: float | None = None
        self.finished_at: float | None = None
        self._estimates: Estimates | None = None
        self._turn_output = StreamingEstimate(None)
        self._turn_streamed = False  # text or reasoning since the last TurnFinished
        # the block each kind of delta goes to; None = start a new one
        self._text: TextBlock | None = None
        self._reasoning: ReasoningBlock | None = None
        self._tools: dict[str, ToolBlock] = {}
        self._status_class = ""
        self._subtitle = ""
        self._error_shown: str | None = None
        self._quiet = True  # the last flush brought nothing new
        self._bar: FindBar | None = None  # mounted on the first ``/``: sixteen idle ones cost every restyle
        self.border_title = escape(live.display_name)

    def compose(self) -> ComposeResult:
        yield Counters(id="counters")
        yield TranscriptView("waiting for a free slot…", id="transcript")
        yield Static(id="pane-error", markup=False)

    def on_mount(self) -> None:
        self.refresh_counters()

    def transcript(self) -> TranscriptView:
        return self.query_one("#transcript", TranscriptView)

    # -- input (per event: cheap) -----------------------------------------------------------

    def take(self, event: Event, at: float | None = None) -> None:
        """Queue an event for the next flush; note the times it reached the UI (or ``at``,
        when the agent process says when it saw the event on the same clock)."""
        now = self._clock() if at is None else at
        match event:
            case AgentStarted():
                self.started_at = now
            case TextDelta() | ReasoningDelta():
                if isinstance(event, TextDelta) and self.first_token_at is None:
                    self.first_token_at = now
                self._turn_output.feed(event.text)
                self._turn_streamed = True
            case ToolCallStarted():
                if self.first_token_at is None:
                    self.first_token_at = now
            case TurnFinished():
                # The provider's exact usage replaces the estimate for this turn.
                self._turn_output.reset()
                self._turn_streamed = False
            case AgentFinished():
                self.finished_at = now
                self._turn_output.reset()
                self._turn_streamed = False
        self._pending.append(event)

    def set_estimates(self, estimates: Estimates) -> None:
        self._estimates = estimates
        self._turn_output.encoding = estimates.encoding

    # -- the timer's work -------------------------------------------------------------------

    def flush(self, render: bool = True) -> None:
        """Fold queued events into transcript blocks, then re-render what changed (unless
        ``render`` is false: a pane hidden behind a zoomed one only keeps its text)."""
        if not self.is_attached:
            return
        view = self.transcript()
        self._quiet = not self._pending
        if self._pending:
            events, self._pending = self._pending, []
            for event in events:
                self._fold(view, event)
        if render and view.stale:  # what arrived now, or while the pane was hidden
            view.update_lines()

    def _fold(self, view: TranscriptView, event: Event) -> None:
        match event:
            case TextDelta():
                if self._text is None:
                    self._reasoning = None  # text after reasoning: that block is complete
                    self._text = TextBlock()
                    view.add(self._text)
                self._text.append(event.text)
                view.changed(self._text)
            case ReasoningDelta():
                if self._reasoning is None:
                    self._text = None
                    self._reasoning = ReasoningBlock()
                    view.add(self._reasoning)
                self._reasoning.append(event.text)
                view.changed(self._reasoning)
            case AgentStarted():
                view.set_placeholder("waiting for the first token…")
            case ToolCallStarted():
                self._close_segments()
                block = ToolBlock(ToolCall.started(event.call_id, event.name, event.arguments))
                self._tools[event.call_id] = block
                view.add(block)
            case ToolCallFinished():
                finished = self._tools.get(event.call_id)
                if finished is not None:
                    finished.call.finish(event.ok, event.result_size, event.result)
                    view.changed(finished)
            case TurnFinished():
                self._close_segments()
            case RetryScheduled():
                self._close_segments()
                view.add(NoteBlock(f"↻ retry {event.attempt} in {event.wait_s:.1f}s: {event.reason}"))
            case AgentFinished():
                self._close_segments()
                view.set_placeholder("no output" if self.live.status not in FAILED else "")
                if self.live.error and self.live.error != self._error_shown:
                    self._error_shown = self.live.error
                    self.query_one("#pane-error", Static).update(self.live.error)

    def _close_segments(self) -> None:
        self._text = None
        self._reasoning = None

    def refresh_counters(self, now: float | None = None) -> None:
        """Redraw the header and status from the live state (called ~10 times a second)."""
        a = self.live
        status_class = (
            "-running" if a.status in RUNNING else "-ok" if a.status == "ok" else "-failed" if a.status in FAILED
            else "-stopped" if a.status in STOPPED else ""
        )
        if status_class != self._status_class:
            if self._status_class:
                self.remove_class(self._status_class)
            if status_class:
                self.add_class(status_class)
            self._status_class = status_class
        symbol, colour, label = STATUS_LOOK.get(a.status, ("●", "$foreground", a.status))
        if a.status == "queued" and a.queue_reason:  # what holds it back: "Ollama … runs 1 at a time"
            label = f"queued: {escape(a.queue_reason)}"
        subtitle = f"[{colour}]{symbol} {label}[/]"
        if subtitle != self._subtitle:
            self._subtitle = subtitle
            self.border_subtitle = subtitle
        self.query_one("#counters", Counters).show(self._counters_markup(self._clock() if now is None else now))

    def _counters_markup(self, now: float) -> str:
        a = self.live
        if self.started_at is None:
            elapsed = None
        else:
            elapsed = (self.finished_at if self.finished_at is not None else now) - self.started_at
        ttft = None if self.first_token_at is None or self.started_at is None else self.first_token_at - self.started_at
        in_text, out_text, cost_text = self._token_texts()
        if a.done or a.status == "queued":
            turns = f"{a.turns} turn" + ("" if a.turns == 1 else "s")
        else:
            turns = f"turn {a.turns + 1}"  # the one in progress
        line1 = f"{fmt_secs(elapsed)}  TTFT {fmt_secs(ttft)}  {turns}"
        if a.retries:
            line1 += f"  retries {a.retries}"
        line2 = f"in {in_text}  out {out_text}  {cost_text}"
        lines = [line1, line2]
        if a.emulated_tools:
            lines.append("[$warning]emulated tools[/]")
        return "\n".join(lines)

    def _token_texts(self) -> tuple[str, str, str]:
        """Exact figures from the provider's usage; ``~`` marks an estimate for text that is
        still streaming (replaced by the exact figure when the turn ends)."""
        a = self.live
        est = self._estimates
        exact_in, exact_out = a.usage.input_tokens, a.usage.output_tokens
        streaming_out = self._turn_output.count() if self._turn_streamed else None
        in_text = fmt_tokens(exact_in)
        out_text = fmt_tokens(exact_out)
        if a.usage.total_tokens == 0 and a.cost_usd is None:
            cost_text = "$0" if a.done else "$–"  # nothing used yet: nothing to price
        else:
            cost_text = fmt_cost(a.cost_usd)
        if a.done:
            return in_text, out_text, cost_text
        first_turn = a.turns == 0 and a.started_at is not None
        if first_turn and est is not None:
            in_text = f"~{fmt_tokens(est.first_turn_tokens)}"
        elif a.turns == 0:
            in_text = "–"
        if streaming_out is not None:
            out_text = f"~{fmt_tokens(exact_out + streaming_out)}"
        price = est.price if est is not None else None
        if first_turn and price is not None and price.input_mtok == 0 and not price.output_mtok:
            cost_text = "$0"  # a free (local) model: exact, not an estimate
        elif first_turn and est is not None and price is not None and price.input_mtok is not None:
            out_price = price.output_mtok or 0.0
            guess = (est.first_turn_tokens * price.input_mtok + (streaming_out or 0) * out_price) / 1_000_000
            cost_text = f"~{fmt_cost(guess)}"
        return in_text, out_text, cost_text

    # -- reading the pane -------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The assistant text the transcript holds, in order (text still queued for the
        next flush is not in it yet)."""
        return self.transcript().text if self.is_attached else ""

    @property
    def header(self) -> str:
        """The counters as shown (markup)."""
        return self.query_one("#counters", Counters).markup

    def toggle_reasoning(self) -> bool:
        return self.transcript().toggle_reasoning()

    # -- find (zoomed) ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("find_step", "close_find"):
            return self._bar is not None and self._bar.is_open
        return True

    async def open_find(self) -> None:
        if self._bar is None:
            self._bar = FindBar(id="find-bar")
            await self.mount(self._bar)
        self._bar.open()

    def close_find(self) -> None:
        if self._bar is not None and self._bar.is_open:
            self._bar.action_close()

    def find(self, text: str, step: int = 0) -> tuple[int, int]:
        """Show a match of ``text`` in the transcript (see :meth:`TranscriptView.find`)."""
        current, total = self.transcript().find(text, step)
        if self._bar is not None:
            self._bar.show_count(current, total)
        return current, total

    def on_find_bar_asked(self, message: FindBar.Asked) -> None:
        message.stop()
        self.find(message.text, message.step)
        if message.done or message.closed:
            self.focus()

    def action_find_step(self, step: int) -> None:
        self.find(self._bar.text if self._bar is not None else "", step)

    def action_close_find(self) -> None:
        self.close_find()

    def scroll(self, where: str) -> None:
        self.transcript().scroll_for_user(where)
        self.call_after_refresh(self.prepare_zoom)

    def on_focus(self) -> None:
        self.call_after_refresh(self.prepare_zoom)

    def prepare_zoom(self) -> None:
        """Render ahead, at the zoomed width, what a zoom into this pane shows first, so that
        ``enter`` and then ``end`` paint from cached lines. Only while the pane is quiet (a
        finished one, or between bursts): one that streams changes every refresh."""
        if not self._quiet or self._pending or not self.is_attached:
            return
        view = self.transcript()
        if view.stale:
            return
        screen = self.screen.size
        view.prepare(screen.width - self.styles.gutter.width, screen.height)
