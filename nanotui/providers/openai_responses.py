"""``openai:MODEL`` through the OpenAI Responses API, streaming."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from nanotui.engine.agent.provider import Provider
from nanotui.engine.agent.stream import StreamEvent, StreamReasoning, StreamText, StreamToolCallDelta, StreamTurnEnd
from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.agent.transcript import AssistantMessage, Message, ToolCall, ToolResultMessage, UserMessage, parse_arguments
from nanotui.engine.errors import ProviderError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.openai_common import is_reasoning_model, make_client, map_error, sdk_exceptions, usage_from

# Imported in a worker thread before any agent's clock starts (see base.preload).
SDK_MODULES = ("openai",)
# The SDK's stream event type, whose pydantic models are built during preload.
STREAM_EVENT_TYPE = ("openai.types.responses", "ResponseStreamEvent")


def create(spec: ModelSpec) -> Provider:
    return ResponsesProvider(spec)


def to_input(messages: list[Message]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for m in messages:
        if isinstance(m, UserMessage):
            items.append({"role": "user", "content": m.text})
        elif isinstance(m, AssistantMessage):
            if m.provider_items:
                items.extend(m.provider_items)
                continue
            if m.text:
                items.append({"role": "assistant", "content": m.text})
            for call in m.tool_calls:
                items.append(
                    {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.raw_arguments}
                )
        elif isinstance(m, ToolResultMessage):
            items.append({"type": "function_call_output", "call_id": m.call_id, "output": m.content})
    return items


def to_tools(tools: list[ToolDef]) -> list[dict[str, Any]]:
    return [
        {"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters, "strict": False}
        for t in tools
    ]


def _replayable(item: Any) -> dict[str, Any]:
    data = item.model_dump(exclude_none=True, mode="json")
    if data.get("type") == "reasoning":
        data.pop("status", None)
    return data


class ResponsesProvider(Provider):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self._client = make_client(spec, base_url=spec.base_url)

    def _params(self, system: str, messages: list[Message], tools: list[ToolDef]) -> dict[str, Any]:
        opts = self.spec.options
        params: dict[str, Any] = {
            "model": self.spec.model,
            "instructions": system,
            "input": to_input(messages),
            "tools": to_tools(tools),
            "stream": True,
            "store": False,
        }
        if is_reasoning_model(self.spec.model):
            # GPT-5 models reject temperature; reasoning items are replayed encrypted.
            params["reasoning"] = {"effort": opts.get("reasoning_effort", "medium")}
            params["include"] = ["reasoning.encrypted_content"]
        elif "temperature" in opts:
            params["temperature"] = opts["temperature"]
        if "max_tokens" in opts:
            params["max_output_tokens"] = int(opts["max_tokens"])
        return params

    async def stream_turn(
        self, system: str, messages: list[Message], tools: list[ToolDef]
    ) -> AsyncIterator[StreamEvent]:
        try:
            stream = await self._client.responses.create(**self._params(system, messages, tools))
        except sdk_exceptions() as exc:
            raise map_error(exc, self.spec) from None
        final = None
        yielded = False
        try:
            async for event in stream:
                etype = event.type
                if etype == "response.output_text.delta":
                    yielded = True
                    yield StreamText(event.delta)
                elif etype in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
                    yielded = True
                    yield StreamReasoning(event.delta)
                elif etype == "response.output_item.added" and event.item.type == "function_call":
                    yielded = True
                    yield StreamToolCallDelta(event.output_index, name=event.item.name)
                elif etype == "response.function_call_arguments.delta":
                    yield StreamToolCallDelta(event.output_index, arguments_delta=event.delta)
                elif etype in ("response.completed", "response.incomplete"):
                    final = event.response
                elif etype == "response.failed":
                    err = getattr(event.response, "error", None)
                    msg = getattr(err, "message", None) or "response failed"
                    raise ProviderError(f"response failed: {msg}", retryable=not yielded)
                elif etype == "error":
                    raise ProviderError(f"API error: {getattr(event, 'message', 'unknown')}", retryable=False)
        except sdk_exceptions() as exc:
            err = map_error(exc, self.spec)
            err.mid_stream = yielded
            raise err from None
        if final is None:
            raise ProviderError("connection closed before the response completed", retryable=not yielded, mid_stream=yielded)
        yield self._turn_end(final)

    def _turn_end(self, response: Any) -> StreamTurnEnd:
        texts: list[str] = []
        reasoning: list[str] = []
        calls: list[ToolCall] = []
        for item in response.output or []:
            if item.type == "message":
                for part in item.content or []:
                    if getattr(part, "type", "") == "output_text":
                        texts.append(part.text)
                    elif getattr(part, "type", "") == "refusal":
                        texts.append(part.refusal)
            elif item.type == "function_call":
                raw = item.arguments or ""
                calls.append(ToolCall(item.call_id, item.name, raw, parse_arguments(raw)))
            elif item.type == "reasoning":
                for s in getattr(item, "summary", None) or []:
                    reasoning.append(getattr(s, "text", ""))
        message = AssistantMessage(
            text="".join(texts),
            tool_calls=calls,
            reasoning="\n".join(reasoning),
            provider_items=[_replayable(i) for i in response.output or []],
        )
        stop = "tool_use" if calls else "end"
        details = getattr(response, "incomplete_details", None)
        if getattr(response, "status", None) == "incomplete":
            stop = "max_tokens" if getattr(details, "reason", "") == "max_output_tokens" else "other"
        return StreamTurnEnd(message, usage_from(response.usage, "input_tokens", "output_tokens"), stop)

    async def aclose(self) -> None:
        await self._client.close()
