"""``ollama:MODEL`` through Ollama's native ``/api/chat`` streaming, with tools.

Ollama sends tool calls whole, without ids, with ``arguments`` as an object: ids are made
up here (``call_<turn>_<i>``, stable within a run) and the arguments serialised back to
JSON for the neutral transcript. ``num_ctx`` is always sent, because Ollama's default
context is small and it truncates the prompt silently. Token counts and timings come
only in the ``done`` line: model load time is reported apart from generation, and
tokens/s come from Ollama's own ``eval_duration``. Cost is 0.0 (pricing.FREE_PROVIDERS).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

from nanotui.engine.agent.provider import Provider
from nanotui.engine.agent.retry import parse_retry_after
from nanotui.engine.agent.stream import StreamEvent, StreamReasoning, StreamText, StreamToolCallDelta, StreamTurnEnd
from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.agent.transcript import AssistantMessage, Message, ToolCall, ToolResultMessage, UserMessage, parse_arguments
from nanotui.engine.errors import ConfigError, ProviderError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import redact
from nanotui.engine.usage import Usage
from nanotui.providers.base import function_tools, http_error
from nanotui.providers.openai_common import shared_ssl_context

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_NUM_CTX = 32768  # enough for the whole task ladder; Ollama's own default truncates it
# A local model may take minutes to load and to read a long prompt before the first byte.
DEFAULT_TIMEOUT_S = 300.0
THINK_LEVELS = ("low", "medium", "high")
DONE = {"stop": "end", "length": "max_tokens"}

# Imported in a worker thread before any agent's clock starts (see base.preload).
SDK_MODULES = ("ollama",)
# The SDK's stream event type, whose pydantic models are built during preload.
STREAM_EVENT_TYPE = ("ollama", "ChatResponse")


def create(spec: ModelSpec) -> Provider:
    return OllamaProvider(spec)


def check_ready_to_run(spec: ModelSpec) -> None:
    think_option(spec)
    num_ctx(spec)


def host_for(spec: ModelSpec) -> str:
    """The Ollama server for ``spec``, as the user would recognise it in a message."""
    return spec.base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_HOST


def think_option(spec: ModelSpec) -> bool | str | None:
    value = spec.options.get("think")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in THINK_LEVELS:
        return value.lower()
    raise ConfigError(f"{spec.name}: think must be one of {', '.join(THINK_LEVELS)}, true or false; got {value!r}")


def num_ctx(spec: ModelSpec) -> int:
    value = spec.options.get("num_ctx", DEFAULT_NUM_CTX)
    if isinstance(value, bool) or not isinstance(value, int) or value < 512:
        raise ConfigError(f"{spec.name}: num_ctx must be a whole number of at least 512, got {value!r}")
    return value


def to_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for m in messages:
        if isinstance(m, UserMessage):
            out.append({"role": "user", "content": m.text})
        elif isinstance(m, AssistantMessage):
            msg: dict[str, Any] = {"role": "assistant", "content": m.text}
            if m.reasoning:
                # gpt-oss expects its reasoning back alongside the tool calls it led to.
                msg["thinking"] = m.reasoning
            if m.tool_calls:
                msg["tool_calls"] = [
                    {"function": {"name": c.name, "arguments": c.arguments or {}}} for c in m.tool_calls
                ]
            out.append(msg)
        elif isinstance(m, ToolResultMessage):
            out.append({"role": "tool", "content": m.content, "tool_name": m.name})
    return out


def metrics_from(done: Any) -> dict[str, float]:
    """Load time and Ollama-measured throughput from the ``done`` line (durations in ns)."""
    out: dict[str, float] = {}
    if done.load_duration is not None:
        out["load_s"] = done.load_duration / 1e9
    if done.eval_count and done.eval_duration:
        out["gen_tokens_per_s"] = done.eval_count / (done.eval_duration / 1e9)
    if done.prompt_eval_count and done.prompt_eval_duration:
        out["prompt_tokens_per_s"] = done.prompt_eval_count / (done.prompt_eval_duration / 1e9)
    return out


def map_error(exc: BaseException, spec: ModelSpec, retry_after: float | None = None) -> ProviderError:
    import httpx
    import ollama
    import pydantic

    host = host_for(spec)
    if isinstance(exc, ollama.ResponseError):
        status = exc.status_code if exc.status_code and exc.status_code > 0 else None
        message = str(exc.error)
        hint = ""
        if status == 401:
            hint = " (a remote Ollama wants a key in OLLAMA_API_KEY)"
        elif status == 404 and "not found" in message.lower():
            hint = f" (pull it with `ollama pull {spec.model}`)"
        elif "does not support tools" in message.lower():
            hint = " (this model cannot call tools; pick one whose `ollama show` lists tools)"
        if status is not None:
            return http_error(status, message, hint, retry_after)
        # An error line inside the stream (no status) is usually a model-output problem a
        # second sample may not have.
        return ProviderError(redact(f"Ollama error: {message}{hint}"), retryable=True, retry_after=retry_after)
    if isinstance(exc, (ConnectionError, httpx.ConnectError)):
        return ProviderError(
            f"Ollama is not reachable at {host} (OLLAMA_HOST) — start it with `ollama serve`", retryable=True
        )
    if isinstance(exc, httpx.TimeoutException):
        seconds = float(spec.options.get("timeout", DEFAULT_TIMEOUT_S))
        return ProviderError(f"Ollama at {host} sent nothing for {seconds:g} s: request timed out", retryable=True)
    if isinstance(exc, httpx.HTTPError):
        return ProviderError(redact(f"connection to Ollama lost: {type(exc).__name__}: {exc}"), retryable=True)
    if isinstance(exc, pydantic.ValidationError):
        # The SDK validates each line; tool-call arguments that are not an object fail here.
        fields = {".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()}
        what = "tool-call arguments that are not a JSON object" if any("arguments" in f for f in fields) else (
            f"a malformed stream line ({', '.join(sorted(fields))})"
        )
        return ProviderError(f"Ollama sent {what}", retryable=True)
    if isinstance(exc, ValueError):
        return ProviderError("Ollama sent a line that is not JSON (stream cut off?)", retryable=True)
    return ProviderError(redact(f"{type(exc).__name__}: {exc}"))


def sdk_exceptions() -> tuple[type[BaseException], ...]:
    import httpx
    import ollama

    # ValueError covers a broken JSON line and pydantic's ValidationError.
    return (ollama.ResponseError, ollama.RequestError, httpx.HTTPError, ConnectionError, ValueError)


class OllamaProvider(Provider):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        import httpx
        import ollama

        self.think = think_option(spec)
        self.num_ctx = num_ctx(spec)
        timeout = float(spec.options.get("timeout", DEFAULT_TIMEOUT_S))
        # host=None lets the SDK read OLLAMA_HOST and apply its own defaults and parsing.
        self._client = ollama.AsyncClient(
            host=spec.base_url,
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            # ResponseError carries no headers: note Retry-After on the way in.
            event_hooks={"response": [self._note_retry_after]},
            # One SSL context for every client: httpx would build one per agent, ~0.1 MB of
            # native memory each that a 270-agent suite never gets back (bench_suite.py).
            verify=shared_ssl_context(),
        )
        self._turn = 0
        self._retry_after: float | None = None

    async def _note_retry_after(self, response) -> None:  # response: httpx.Response
        self._retry_after = parse_retry_after(response.headers.get("retry-after")) if response.is_error else None

    def params(self, system: str, messages: list[Message], tools: list[ToolDef]) -> dict[str, Any]:
        opts = self.spec.options
        options: dict[str, Any] = {"num_ctx": self.num_ctx}
        if "temperature" in opts:
            options["temperature"] = opts["temperature"]
        if "max_tokens" in opts:
            options["num_predict"] = int(opts["max_tokens"])
        params: dict[str, Any] = {
            "model": self.spec.model,
            "messages": to_messages(system, messages),
            "tools": function_tools(tools),
            "stream": True,
            "options": options,
        }
        if self.think is not None:
            params["think"] = self.think
        return params

    async def stream_turn(
        self, system: str, messages: list[Message], tools: list[ToolDef]
    ) -> AsyncIterator[StreamEvent]:
        self._turn += 1
        self._retry_after = None
        errors = sdk_exceptions()
        text: list[str] = []
        reasoning: list[str] = []
        calls: list[ToolCall] = []
        done = None
        yielded = False
        try:
            # With stream=True nothing is sent until the iterator is first awaited.
            stream = await self._client.chat(**self.params(system, messages, tools))
            async for part in stream:
                msg = part.message
                if msg.thinking:
                    yielded = True
                    reasoning.append(msg.thinking)
                    yield StreamReasoning(msg.thinking)
                if msg.content:
                    yielded = True
                    text.append(msg.content)
                    yield StreamText(msg.content)
                for tc in msg.tool_calls or []:
                    yielded = True
                    index = len(calls)
                    raw = json.dumps(dict(tc.function.arguments), ensure_ascii=False)
                    calls.append(ToolCall(f"call_{self._turn}_{index}", tc.function.name, raw, parse_arguments(raw)))
                    yield StreamToolCallDelta(index, name=tc.function.name, arguments_delta=raw)
                if part.done:
                    done = part
        except errors as exc:
            err = map_error(exc, self.spec, self._retry_after)
            err.mid_stream = yielded
            raise err from None
        if done is None:
            raise ProviderError(
                "connection closed before the response completed", retryable=not yielded, mid_stream=yielded
            )
        usage = Usage(input_tokens=done.prompt_eval_count or 0, output_tokens=done.eval_count or 0)
        stop = DONE.get(done.done_reason or "stop", "other")
        if stop == "end" and calls:
            stop = "tool_use"
        message = AssistantMessage("".join(text), calls, "".join(reasoning))
        yield StreamTurnEnd(message, usage, stop, metrics_from(done))

    async def aclose(self) -> None:
        await self._client.close()
