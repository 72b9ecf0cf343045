"""OpenAI-compatible servers (vLLM, LM Studio, OpenRouter, llama.cpp server) through
Chat Completions streaming with ``stream_options.include_usage``. Used by roster entries
that have a ``base_url``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from nanotui.engine.agent.provider import Provider
from nanotui.engine.agent.stream import StreamEvent, StreamReasoning, StreamText, StreamToolCallDelta, StreamTurnEnd
from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.agent.transcript import AssistantMessage, Message, ToolCall, ToolResultMessage, UserMessage, parse_arguments
from nanotui.engine.errors import ProviderError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.usage import Usage
from nanotui.providers.base import function_tools
from nanotui.providers.openai_common import is_reasoning_model, make_client, map_error, sdk_exceptions, usage_from

FINISH = {"stop": "end", "tool_calls": "tool_use", "function_call": "tool_use", "length": "max_tokens"}

# Imported in a worker thread before any agent's clock starts (see base.preload).
SDK_MODULES = ("openai",)
# The SDK's stream event type, whose pydantic models are built during preload.
STREAM_EVENT_TYPE = ("openai.types.chat", "ChatCompletionChunk")


def create(spec: ModelSpec) -> Provider:
    return ChatProvider(spec)


def to_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for m in messages:
        if isinstance(m, UserMessage):
            out.append({"role": "user", "content": m.text})
        elif isinstance(m, AssistantMessage):
            msg: dict[str, Any] = {"role": "assistant", "content": m.text or None}
            if m.tool_calls:
                msg["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.raw_arguments}}
                    for c in m.tool_calls
                ]
            out.append(msg)
        elif isinstance(m, ToolResultMessage):
            out.append({"role": "tool", "tool_call_id": m.call_id, "content": m.content})
    return out


class ChatProvider(Provider):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        # Local OpenAI-compatible servers often need no key: only require one if named.
        self._client = make_client(spec, base_url=spec.base_url, key_required=bool(spec.api_key_env))

    def _params(self, system: str, messages: list[Message], tools: list[ToolDef]) -> dict[str, Any]:
        opts = self.spec.options
        params: dict[str, Any] = {
            "model": self.spec.model,
            "messages": to_messages(system, messages),
            "tools": function_tools(tools),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if "temperature" in opts and not is_reasoning_model(self.spec.model):
            params["temperature"] = opts["temperature"]
        if "reasoning_effort" in opts:
            params["reasoning_effort"] = opts["reasoning_effort"]
        if "max_tokens" in opts:
            params["max_tokens"] = int(opts["max_tokens"])
        return params

    async def stream_turn(
        self, system: str, messages: list[Message], tools: list[ToolDef]
    ) -> AsyncIterator[StreamEvent]:
        try:
            stream = await self._client.chat.completions.create(**self._params(system, messages, tools))
        except sdk_exceptions() as exc:
            raise map_error(exc, self.spec) from None
        text: list[str] = []
        reasoning: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage = Usage()
        finish: str | None = None
        yielded = False
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = usage_from(chunk.usage, "prompt_tokens", "completion_tokens")
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta is not None:
                        if delta.content:
                            yielded = True
                            text.append(delta.content)
                            yield StreamText(delta.content)
                        extra = getattr(delta, "reasoning_content", None) or getattr(delta, "reasoning", None)
                        if isinstance(extra, str) and extra:
                            yielded = True
                            reasoning.append(extra)
                            yield StreamReasoning(extra)
                        for tc in delta.tool_calls or []:
                            yielded = True
                            slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                            fn = tc.function
                            if tc.id:
                                slot["id"] = tc.id
                            if fn is not None and fn.name:
                                slot["name"] += fn.name
                            piece = (fn.arguments or "") if fn is not None else ""
                            slot["arguments"] += piece
                            yield StreamToolCallDelta(
                                tc.index, name=fn.name if fn is not None else None, arguments_delta=piece
                            )
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except sdk_exceptions() as exc:
            err = map_error(exc, self.spec)
            err.mid_stream = yielded
            raise err from None
        if finish is None:
            raise ProviderError(
                "connection closed before the response completed", retryable=not yielded, mid_stream=yielded
            )
        tool_calls = [
            ToolCall(s["id"] or f"call_{i}", s["name"], s["arguments"], parse_arguments(s["arguments"]))
            for i, s in sorted(calls.items())
        ]
        message = AssistantMessage("".join(text), tool_calls, "".join(reasoning))
        stop = FINISH.get(finish, "other")
        yield StreamTurnEnd(message, usage, stop)

    async def aclose(self) -> None:
        await self._client.close()



