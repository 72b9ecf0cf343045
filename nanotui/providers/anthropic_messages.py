"""``anthropic:MODEL`` through the Anthropic Messages API, streaming, with tools.

Tool calls are assembled from ``input_json_delta`` fragments. Usage is normalised
(DESIGN §3): Anthropic's ``input_tokens`` leaves out cache reads and cache writes, so
they are added back; cache reads and writes stay apart so they are priced as such.
``max_tokens`` is always sent (the API requires it). With a ``thinking_budget`` the
model thinks first; its thinking blocks (with their signatures) are replayed verbatim
on the next turn, as the API requires when tools are in play.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from nanotui.engine.agent.provider import Provider
from nanotui.engine.agent.stream import StreamEvent, StreamReasoning, StreamText, StreamToolCallDelta, StreamTurnEnd
from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.agent.transcript import AssistantMessage, Message, ToolCall, ToolResultMessage, UserMessage, parse_arguments
from nanotui.engine.errors import ConfigError, ProviderError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import redact
from nanotui.engine.usage import Usage
from nanotui.providers.base import api_key_for, request_timeout
from nanotui.providers.openai_common import shared_ssl_context
from nanotui.providers.sdk_errors import http_module, map_sdk_error

DEFAULT_MAX_TOKENS = 8192
# Room left for the answer when max_tokens is derived from a thinking budget.
ANSWER_ROOM_TOKENS = 4096
STOP = {
    "end_turn": "end",
    "stop_sequence": "end",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "refusal": "refusal",
}
# Error types the API sends inside a 200 stream (an ``event: error``); these may pass.
RETRYABLE_ERROR_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})

# Imported in a worker thread before any agent's clock starts (see base.preload).
SDK_MODULES = ("anthropic",)
# The SDK's stream event type, whose pydantic models are built during preload.
STREAM_EVENT_TYPE = ("anthropic.types", "RawMessageStreamEvent")


def create(spec: ModelSpec) -> Provider:
    return AnthropicProvider(spec)


def check_ready_to_run(spec: ModelSpec) -> None:
    token_limits(spec)


def token_limits(spec: ModelSpec) -> tuple[int, int | None]:
    """``(max_tokens, thinking_budget)`` from the entry's options, checked."""
    opts = spec.options
    budget = opts.get("thinking_budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1024):
        raise ConfigError(f"{spec.name}: thinking_budget must be a whole number of at least 1024, got {budget!r}")
    raw_max = opts.get("max_tokens")
    if raw_max is None:
        max_tokens = DEFAULT_MAX_TOKENS if budget is None else max(DEFAULT_MAX_TOKENS, budget + ANSWER_ROOM_TOKENS)
    else:
        if isinstance(raw_max, bool) or not isinstance(raw_max, int) or raw_max < 1:
            raise ConfigError(f"{spec.name}: max_tokens must be a positive whole number, got {raw_max!r}")
        max_tokens = raw_max
        if budget is not None and budget >= max_tokens:
            raise ConfigError(
                f"{spec.name}: thinking_budget ({budget}) must be below max_tokens ({max_tokens})"
            )
    return max_tokens, budget


def base_url_from_env() -> str | None:
    """ANTHROPIC_BASE_URL without a trailing ``/v1``: the SDK adds ``/v1`` itself, and a
    doubled ``/v1/v1/messages`` would only show up as a puzzling 404."""
    value = os.environ.get("ANTHROPIC_BASE_URL")
    if not value:
        return None
    trimmed = value.rstrip("/")
    return trimmed[: -len("/v1")] if trimmed.endswith("/v1") else None


def to_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Anthropic wants strictly alternating roles; tool results are user-role blocks, so
    consecutive results (and anything else of the same role) are merged into one message."""
    out: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": list(blocks)})

    for m in messages:
        if isinstance(m, UserMessage):
            add("user", [{"type": "text", "text": m.text or "(empty)"}])
        elif isinstance(m, AssistantMessage):
            add("assistant", _assistant_blocks(m))
        elif isinstance(m, ToolResultMessage):
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.call_id, "content": m.content or "(empty)"}
            if m.is_error:
                block["is_error"] = True
            add("user", [block])
    return out


def _assistant_blocks(m: AssistantMessage) -> list[dict[str, Any]]:
    if m.provider_items:
        return [dict(b) for b in m.provider_items]
    blocks: list[dict[str, Any]] = []
    if m.text.strip():  # the API rejects empty text blocks
        blocks.append({"type": "text", "text": m.text})
    for call in m.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments or {}})
    return blocks


def to_tools(tools: list[ToolDef]) -> list[dict[str, Any]]:
    return [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools]


def usage_from(start: Any, delta: Any) -> Usage:
    """Normalised usage from ``message_start``'s usage, updated by ``message_delta``'s
    (whose figures are cumulative and win when present)."""

    def pick(name: str) -> int:
        for source in (delta, start):
            value = getattr(source, name, None) if source is not None else None
            if value is not None:
                return int(value)
        return 0

    cache_read = pick("cache_read_input_tokens")
    cache_write = pick("cache_creation_input_tokens")
    details = getattr(delta, "output_tokens_details", None) or getattr(start, "output_tokens_details", None)
    thinking = int(getattr(details, "thinking_tokens", 0) or 0)
    return Usage(
        input_tokens=pick("input_tokens") + cache_read + cache_write,
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=pick("output_tokens"),
        reasoning_tokens=thinking,
    )


def map_error(exc: BaseException, spec: ModelSpec) -> ProviderError:
    """A ProviderError for any failure the Anthropic SDK or its HTTP client raises."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:
        # An error event inside a 200 stream: classify by its type.
        kind = exc.type or "error"
        message = exc.api_message or str(exc.message)
        return ProviderError(redact(f"stream error ({kind}): {message}"), retryable=kind in RETRYABLE_ERROR_TYPES)

    def hint(status: int) -> str:
        if status == 401:
            return f" (check {spec.key_env or 'the API key'})"
        if status == 403:
            return f" (the key in {spec.key_env or 'the environment'} may not have access to {spec.model!r})"
        if status == 404:
            return f" (unknown model {spec.model!r}, or ANTHROPIC_BASE_URL is wrong)"
        return ""

    return map_sdk_error(exc, anthropic, spec, hint)


def sdk_exceptions() -> tuple[type[BaseException], ...]:
    import anthropic

    return (anthropic.AnthropicError, http_module().HTTPError)


class AnthropicProvider(Provider):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        import anthropic

        self.max_tokens, self.thinking_budget = token_limits(spec)
        timeout = request_timeout(spec)
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key_for(spec),
            base_url=spec.base_url or base_url_from_env(),  # None: the SDK reads ANTHROPIC_BASE_URL
            max_retries=0,  # the engine's RetryPolicy retries, the same way for every provider
            timeout=anthropic.Timeout(timeout, connect=min(10.0, timeout)),
            # One SSL context for every client, as for OpenAI: a 270-agent suite grew by 91 MB
            # of native memory with one per agent (bench_suite.py).
            http_client=anthropic.DefaultAsyncHttpxClient(verify=shared_ssl_context()),
        )

    def params(self, system: str, messages: list[Message], tools: list[ToolDef]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.spec.model,
            "system": system,
            "messages": to_messages(messages),
            "tools": to_tools(tools),
            "max_tokens": self.max_tokens,
            "stream": True,
        }
        if self.thinking_budget is not None:
            # Extended thinking rejects a custom temperature.
            params["thinking"] = {"type": "enabled", "budget_tokens": self.thinking_budget}
        elif "temperature" in self.spec.options:
            params["temperature"] = self.spec.options["temperature"]
        return params

    async def stream_turn(
        self, system: str, messages: list[Message], tools: list[ToolDef]
    ) -> AsyncIterator[StreamEvent]:
        errors = sdk_exceptions()
        try:
            stream = await self._client.messages.create(**self.params(system, messages, tools))
        except errors as exc:
            raise map_error(exc, self.spec) from None
        blocks: dict[int, dict[str, Any]] = {}
        json_parts: dict[int, list[str]] = {}
        start_usage = delta_usage = None
        stop_reason: str | None = None
        finished = False
        yielded = False
        try:
            async for event in stream:
                etype = event.type
                if etype == "message_start":
                    start_usage = event.message.usage
                elif etype == "content_block_start":
                    block = event.content_block
                    blocks[event.index] = block.model_dump(exclude_none=True, mode="json")
                    if block.type == "tool_use":
                        yielded = True
                        json_parts[event.index] = []
                        yield StreamToolCallDelta(event.index, name=block.name)
                    elif block.type == "text" and block.text:
                        yielded = True
                        yield StreamText(block.text)
                elif etype == "content_block_delta":
                    d = event.delta
                    slot = blocks.setdefault(event.index, {"type": "text", "text": ""})
                    if d.type == "text_delta":
                        yielded = True
                        slot["text"] = slot.get("text", "") + d.text
                        yield StreamText(d.text)
                    elif d.type == "thinking_delta":
                        yielded = True
                        slot["thinking"] = slot.get("thinking", "") + d.thinking
                        yield StreamReasoning(d.thinking)
                    elif d.type == "signature_delta":
                        slot["signature"] = slot.get("signature", "") + d.signature
                    elif d.type == "input_json_delta":
                        json_parts.setdefault(event.index, []).append(d.partial_json)
                        yield StreamToolCallDelta(event.index, arguments_delta=d.partial_json)
                elif etype == "message_delta":
                    stop_reason = event.delta.stop_reason or stop_reason
                    delta_usage = event.usage
                elif etype == "message_stop":
                    finished = True
        except errors as exc:
            err = map_error(exc, self.spec)
            err.mid_stream = yielded
            raise err from None
        if not finished:
            raise ProviderError(
                "connection closed before the response completed", retryable=not yielded, mid_stream=yielded
            )
        yield self._turn_end(blocks, json_parts, start_usage, delta_usage, stop_reason)

    def _turn_end(
        self,
        blocks: dict[int, dict[str, Any]],
        json_parts: dict[int, list[str]],
        start_usage: Any,
        delta_usage: Any,
        stop_reason: str | None,
    ) -> StreamTurnEnd:
        texts: list[str] = []
        reasoning: list[str] = []
        calls: list[ToolCall] = []
        replay: list[dict[str, Any]] = []
        for index in sorted(blocks):
            block = blocks[index]
            kind = block.get("type")
            if kind == "text":
                texts.append(block.get("text", ""))
                if block.get("text", "").strip():
                    replay.append({"type": "text", "text": block["text"]})
            elif kind == "thinking":
                reasoning.append(block.get("thinking", ""))
                replay.append({"type": "thinking", "thinking": block.get("thinking", ""),
                               "signature": block.get("signature", "")})
            elif kind == "redacted_thinking":
                replay.append({"type": "redacted_thinking", "data": block.get("data", "")})
            elif kind == "tool_use":
                raw = "".join(json_parts.get(index, []))
                args = parse_arguments(raw)
                calls.append(ToolCall(block["id"], block["name"], raw, args))
                # The replayed block needs an object; a malformed call replays as {} and
                # its error result tells the model what went wrong.
                replay.append({"type": "tool_use", "id": block["id"], "name": block["name"], "input": args or {}})
        message = AssistantMessage(
            text="".join(texts),
            tool_calls=calls,
            reasoning="\n".join(r for r in reasoning if r),
            provider_items=replay or None,
        )
        stop = STOP.get(stop_reason or "", "other")
        if stop == "end" and calls:
            stop = "tool_use"
        return StreamTurnEnd(message, usage_from(start_usage, delta_usage), stop)

    async def aclose(self) -> None:
        await self._client.close()
