"""The agent loop: the same for every model. Stream a turn, run the tools it asked for,
feed the results back, until the model answers without tools or a limit is reached."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nanotui.engine.agent.prompt import SYSTEM_PROMPT
from nanotui.engine.agent.provider import Provider
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.stream import StreamReasoning, StreamText, StreamToolCallDelta, StreamTurnEnd
from nanotui.engine.agent.tool_defs import TOOL_DEFS, ToolDef
from nanotui.engine.agent.tools import ToolBox
from nanotui.engine.agent.transcript import AssistantMessage, Message, ToolCall, ToolResultMessage, UserMessage
from nanotui.engine.errors import NanotuiError, ProviderError
from nanotui.engine.events import (
    AgentStarted,
    Event,
    ReasoningDelta,
    RequestStarted,
    ResponseStarted,
    RetryScheduled,
    Sink,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from nanotui.engine.results import AgentResult, ToolCallRecord
from nanotui.engine.roster.pricing import cost_usd
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import StreamRedactor, redact, register_secret_env, scrub
from nanotui.engine.text import safe_text, safe_value
from nanotui.engine.usage import Usage

EVENT_RESULT_CAP = 2000  # characters of a tool result kept in events (the model sees all)


@dataclass(frozen=True)
class Limits:
    max_turns: int = 20
    timeout_s: float = 600.0
    max_tokens: int | None = None  # total input + output tokens
    max_cost_usd: float | None = None


@dataclass(frozen=True)
class AgentTask:
    prompt: str
    workspace: Path | None = None
    read_only: bool = False


class TurnFeedback(Protocol):
    """Where the loop reports how its requests went (the run's scheduler adapts its limits
    and keeps the suite's spend from it); the loop does not know who listens."""

    async def before_request(self) -> None:
        """Called before every request; may wait (the time is the scheduler's queue time)."""

    def rate_limited(self) -> None:
        """A request was refused with HTTP 429."""

    def turn_done(self, cost_usd: float | None) -> None:
        """A turn succeeded; ``cost_usd`` is the agent's running total."""


class _NoFeedback:
    async def before_request(self) -> None:
        pass

    def rate_limited(self) -> None:
        pass

    def turn_done(self, cost_usd: float | None) -> None:
        pass


class Agent:
    def __init__(
        self,
        agent_id: str,
        spec: ModelSpec,
        provider: Provider,
        task: AgentTask,
        sandbox: Sandbox,
        *,
        limits: Limits = Limits(),
        sink: Sink = lambda e: None,
        retry_policy: RetryPolicy = RetryPolicy(),
        system_prompt: str = SYSTEM_PROMPT,
        feedback: TurnFeedback | None = None,
        queued_s: float = 0.0,
    ) -> None:
        """``queued_s``: how long the agent waited for its slot before this start; its clock
        (events' ``at``) counts from when it was queued, so it starts there."""
        self.agent_id = agent_id
        self.spec = spec
        self.provider = provider
        self.task = task
        self.sandbox = sandbox
        self.limits = limits
        self.sink = sink
        self.retry_policy = retry_policy
        self.system_prompt = system_prompt
        self.feedback: TurnFeedback = feedback or _NoFeedback()
        self.toolbox = ToolBox(sandbox, read_only=task.read_only)
        self.result = AgentResult(
            agent_id=agent_id,
            model=spec.spec,
            display_name=spec.display_name,
            emulated_tools=bool(getattr(provider, "emulated_tools", False)),
            # Zero usage costs $0 where the price is known, None (unknown) where it is not.
            cost_usd=cost_usd(spec.provider, spec.model, Usage(), price_as=spec.price_as),
        )
        self._start = 0.0
        self._queued_s = queued_s
        self._origin = 0.0  # monotonic time the agent's clock counts from (set by run())
        if spec.key_env:
            register_secret_env(spec.key_env)  # a roster entry's own key is a secret too
        # What the model streams is shown and stored through these: a key it echoes in
        # pieces never leaves the agent whole or in parts.
        self._text_out = StreamRedactor()
        self._reasoning_out = StreamRedactor()

    def _emit(self, event: Event) -> None:
        event.at = time.monotonic() - self._origin
        self.sink(event)

    async def run(self) -> AgentResult:
        r = self.result
        self._start = time.monotonic()
        self._origin = self._start - self._queued_s
        self._emit(AgentStarted(self.agent_id, r.model, r.display_name, r.emulated_tools))
        try:
            async with asyncio.timeout(self.limits.timeout_s):
                await self._loop()
        except TimeoutError:
            r.status, r.error = "timeout", f"timed out after {self.limits.timeout_s:g} s"
        except asyncio.CancelledError:
            r.status, r.error = "cancelled", "cancelled"
        except ProviderError as exc:
            r.status, r.error = "error", str(exc)
        except NanotuiError as exc:
            r.status, r.error = "error", str(exc)
        except Exception as exc:  # an agent's crash never takes the run down
            r.status, r.error = "error", f"internal error: {type(exc).__name__}: {exc}"
        finally:
            r.wall_s = time.monotonic() - self._start
            r.files_changed = self.sandbox.files_changed()
        return r

    async def _loop(self) -> None:
        r = self.result
        messages: list[Message] = [UserMessage(self.task.prompt)]
        tools = list(TOOL_DEFS)
        while True:
            if r.turns >= self.limits.max_turns:
                r.status, r.error = "max_turns", f"stopped after {self.limits.max_turns} turns"
                return
            end = await self._turn_with_retries(messages, tools)
            _make_safe(end.message)
            r.turns += 1
            r.usage = r.usage + end.usage
            r.cost_usd = cost_usd(self.spec.provider, self.spec.model, r.usage, price_as=self.spec.price_as)
            r.stop_reason = end.stop_reason
            self.feedback.turn_done(r.cost_usd)
            for key, value in end.metrics.items():
                # load time adds up over turns; rates keep the latest turn's figure
                r.metrics[key] = r.metrics.get(key, 0.0) + value if key == "load_s" else value
            messages.append(end.message)
            if end.message.text.strip():
                r.final_answer = redact(end.message.text)
            self._emit(
                TurnFinished(self.agent_id, r.turns, end.usage, r.usage, r.cost_usd, end.stop_reason)
            )
            if self.limits.max_tokens is not None and r.usage.total_tokens > self.limits.max_tokens:
                r.status, r.error = "budget", f"token budget of {self.limits.max_tokens} exceeded"
                return
            if (
                self.limits.max_cost_usd is not None
                and r.cost_usd is not None
                and r.cost_usd > self.limits.max_cost_usd
            ):
                r.status, r.error = "budget", f"cost budget of ${self.limits.max_cost_usd:g} exceeded"
                return
            if not end.message.tool_calls:
                return
            for call in end.message.tool_calls:
                messages.append(await self._run_tool(call))

    async def _run_tool(self, call: ToolCall) -> ToolResultMessage:
        # What is shown and stored is redacted; the tool itself gets what the model wrote.
        args = scrub(call.arguments) if call.arguments is not None else {}
        self._emit(ToolCallStarted(self.agent_id, call.id, call.name, args, redact(call.raw_arguments)))
        if call.arguments is None:
            outcome_ok = False
            content = (
                f"Error: the arguments for {call.name} are not valid JSON: {redact(call.raw_arguments[:200])!r}. "
                "Call the tool again with a JSON object."
            )
        else:
            # In a thread: a tool reads and writes files (up to the caps), which must not hold
            # up the other agents' streams or the app.
            outcome = await asyncio.to_thread(self.toolbox.call, call.name, call.arguments)
            outcome_ok, content = outcome.ok, outcome.content
        content = safe_text(content)  # a file's bytes decoded with surrogateescape, say
        shown = redact(content[:EVENT_RESULT_CAP])
        self.result.tool_calls.append(
            ToolCallRecord(call.id, call.name, args, outcome_ok, len(content), shown[:200], self.result.turns)
        )
        self._emit(ToolCallFinished(self.agent_id, call.id, call.name, outcome_ok, shown, len(content)))
        return ToolResultMessage(call.id, call.name, content, is_error=not outcome_ok)

    async def _turn_with_retries(self, messages: list[Message], tools: list[ToolDef]) -> StreamTurnEnd:
        r = self.result
        attempt = 1
        while True:
            yielded = False
            asked = time.monotonic()
            await self.feedback.before_request()
            turn = r.turns + 1
            self._emit(RequestStarted(self.agent_id, turn, attempt, time.monotonic() - asked))
            try:
                end: StreamTurnEnd | None = None
                sink, agent_id, origin, clock = self.sink, self.agent_id, self._origin, time.monotonic
                text_out, reasoning_out = self._text_out.feed, self._reasoning_out.feed
                # Hot path (one pass per token): dispatch on the exact type, no helper calls.
                awaiting_ttft = r.ttft_s is None
                in_arguments = False  # tool-call arguments streaming (they send no event of their own)
                try:
                    async for ev in self.provider.stream_turn(self.system_prompt, messages, tools):
                        kind = type(ev)
                        # TTFT counts the first text or tool-call token, not reasoning
                        if awaiting_ttft and (kind is StreamText or kind is StreamToolCallDelta):
                            awaiting_ttft = False
                            r.ttft_s = clock() - self._start
                        if kind is StreamText:
                            if not yielded:
                                yielded = True
                                self._emit(ResponseStarted(agent_id, turn, "text"))
                            in_arguments = False
                            piece = text_out(safe_text(ev.text))  # type: ignore[union-attr]
                            if piece:
                                sink(TextDelta(agent_id, piece, at=clock() - origin))
                        elif kind is StreamToolCallDelta:
                            if not in_arguments:
                                yielded = in_arguments = True
                                self._emit(ResponseStarted(agent_id, turn, "tool_call"))
                        elif kind is StreamReasoning:
                            if not yielded:
                                yielded = True
                                self._emit(ResponseStarted(agent_id, turn, "reasoning"))
                            in_arguments = False
                            piece = reasoning_out(safe_text(ev.text))  # type: ignore[union-attr]
                            if piece:
                                sink(ReasoningDelta(agent_id, piece, at=clock() - origin))
                        elif kind is StreamTurnEnd:
                            end = ev  # type: ignore[assignment]
                finally:
                    self._flush_streams()
                if end is None:
                    raise ProviderError("the stream ended without a complete response", mid_stream=True)
                return end
            except ProviderError as exc:
                if yielded:
                    exc.mid_stream = True
                if exc.status == 429:
                    self.feedback.rate_limited()
                wait = self.retry_policy.delay(attempt, exc, r.retry_wait_s)
                if wait is None:
                    raise
                r.retries += 1
                self._emit(RetryScheduled(self.agent_id, attempt, wait, str(exc)))
                await asyncio.sleep(wait)
                r.retry_wait_s += wait
                attempt += 1

    def _flush_streams(self) -> None:
        """The turn's stream ended (or broke): let out what the redactors still hold."""
        tail = self._text_out.flush()
        if tail:
            self._emit(TextDelta(self.agent_id, tail))
        tail = self._reasoning_out.flush()
        if tail:
            self._emit(ReasoningDelta(self.agent_id, tail))





def _make_safe(message: AssistantMessage) -> None:
    """Replace lone surrogates in what the model sent, once, before the tools, the store
    or the next request see it (a path ``"x\\ud800.txt"`` is valid JSON but no file name)."""
    message.text = safe_text(message.text)
    message.reasoning = safe_text(message.reasoning)
    # Replayed to the provider next turn (reasoning items, thinking blocks): the SDK
    # encodes them as UTF-8 too.
    message.provider_items = safe_value(message.provider_items)
    for call in message.tool_calls:
        call.raw_arguments = safe_text(call.raw_arguments)
        if call.arguments is not None:
            call.arguments = safe_value(call.arguments)
