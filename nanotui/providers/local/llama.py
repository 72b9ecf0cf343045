"""``local:`` — GGUF models run by llama.cpp's server through the ``xllamacpp`` wheel (no
compiler, no server to install), with emulated tool calls.

``local:qwen2.5-coder-1.5b`` is the default model: assembled from the installed part
packages and verified on first use (see :mod:`nanotui.providers.local.model_file`).
``local:/path/to/model.gguf`` runs any GGUF file.

The runtime runs in a child process of its own, on all cores but one and at the lowest CPU
priority (:mod:`nanotui.providers.local.runtime_process`), so it never slows the other agents
or the TUI. Its blocking calls run in a worker thread and streamed chunks come back to the
event loop through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nanotui.engine.agent.provider import Provider
from nanotui.engine.agent.stream import StreamEvent, StreamTurnEnd
from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.agent.transcript import Message
from nanotui.engine.errors import ConfigError, ProviderError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.usage import Usage
from nanotui.providers.local.emulated_tools import ActionStream, build_request, parse_action
from nanotui.providers.local.model_file import (
    BUILTIN_MODELS,
    PIP_LOCAL,
    assembled_path,
    is_path_spec,
    is_verified,
    missing_parts,
    resolve_model_path,
    verify,
)
from nanotui.providers.local.runtime_process import ChildBackend, runtime_threads

DEFAULT_CTX = 8192  # Qwen2.5-Coder handles 32k, but the KV cache and prompt time grow with it
DEFAULT_STEP_TOKENS = 1024  # one action per step; bounds a runaway step (~75 s at 13 tok/s)
DEFAULT_TEMPERATURE = 0.0  # greedy: the same task gives the same run

ChunkSink = Callable[[dict[str, Any]], bool]  # returns True to stop generating


class ChatBackend(Protocol):
    """What the provider needs from the runtime: one streamed chat completion, blocking."""

    def chat_stream(self, request: dict[str, Any], on_chunk: ChunkSink) -> None: ...


def default_threads() -> int:
    """The runtime's threads unless a roster entry sets ``threads``: all cores but one."""
    return runtime_threads()


# -- the runtime, loaded once per process ---------------------------------------------------


class XllamaBackend:
    """llama.cpp's server (xllamacpp) with one model loaded, in the process that makes it
    (the runtime's child process: :func:`load_backend`)."""

    def __init__(self, path: Path, n_ctx: int, threads: int) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = n_ctx
        params.n_parallel = 1  # one slot keeps the whole context for one request at a time
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.verbosity = -1  # llama.cpp logs to stderr, which would draw over the TUI
        try:
            self.server = xllamacpp.Server(params)
        except Exception as exc:  # the runtime raises plain exceptions for unloadable files
            raise ConfigError(f"{path}: llama.cpp could not load this model ({exc})") from None

    def chat_stream(self, request: dict[str, Any], on_chunk: ChunkSink) -> None:
        self.server.handle_chat_completions(request, on_chunk)


@dataclass(frozen=True)
class _Key:
    path: str
    n_ctx: int
    threads: int


_backends: dict[_Key, ChatBackend] = {}
_backends_lock = threading.Lock()


def load_backend(model: str, n_ctx: int, threads: int) -> tuple[ChatBackend, bool]:
    """The loaded runtime for ``model`` (assembling and verifying the default model first),
    and whether this call did the loading. Blocking and slow the first time: run in a thread."""
    with _backends_lock:  # two agents on the same model wait for one load
        path = resolve_model_path(model)
        key = _Key(str(path), n_ctx, threads)
        backend = _backends.get(key)
        if backend is not None:
            return backend, False
        backend = ChildBackend(f"{__name__}:XllamaBackend", (path, n_ctx, threads), threads)
        _backends[key] = backend
        return backend, True


# -- readiness ------------------------------------------------------------------------------


def runtime_installed() -> bool:
    return importlib.util.find_spec("xllamacpp") is not None


def readiness(spec: ModelSpec) -> tuple[bool, str, str | None]:
    """(ready?, what state it is in, the command that fixes it) — cheap: never hashes or loads."""
    if not runtime_installed():
        return False, "the xllamacpp runtime is not installed", PIP_LOCAL
    model = spec.model
    if model in BUILTIN_MODELS:
        builtin = BUILTIN_MODELS[model]
        path = assembled_path(builtin)
        if path.exists():
            if is_verified(builtin, path):
                return True, f"verified model at {path}", None
            return True, f"model at {path} will be verified on first run", None
        missing = missing_parts(builtin)
        if missing:
            return False, f"model parts not installed ({len(missing)} of {len(builtin.part_dists)} missing)", PIP_LOCAL
        return True, "will be assembled on first run from the installed parts", None
    if not is_path_spec(model):
        return False, f"unknown on-device model {model!r}; use {', '.join(BUILTIN_MODELS)} or a .gguf path", None
    path = Path(model).expanduser()
    if not path.is_file():
        return False, f"{path} does not exist", None
    return True, f"GGUF file {path}", None


def check_ready_to_run(spec: ModelSpec) -> None:
    """Called before a run (off the event loop): a one-line ConfigError with the exact fix,
    instead of a failed agent. An assembled model is verified here (a hash only when its
    stamp is missing or stale), so a damaged file stops the run before it starts."""
    if not runtime_installed():
        raise ConfigError(f"--model {spec.spec}: the on-device runtime (xllamacpp) is not installed; run: {PIP_LOCAL}")
    _options(spec)
    model = spec.model
    if model in BUILTIN_MODELS:
        builtin = BUILTIN_MODELS[model]
        path = assembled_path(builtin)
        if path.exists():
            verify(builtin, path)
        else:
            missing = missing_parts(builtin)
            if missing:
                raise ConfigError(
                    f"--model {spec.spec}: model parts not installed ({len(missing)} of "
                    f"{len(builtin.part_dists)} missing, e.g. {missing[0]}); run: {PIP_LOCAL}"
                )
        return
    if not is_path_spec(model):
        resolve_model_path(model)  # raises the "unknown model" error
    path = Path(model).expanduser()
    if not path.is_file():
        raise ConfigError(f"--model {spec.spec}: {path} does not exist or is not a file")


# -- the provider ---------------------------------------------------------------------------


def create(spec: ModelSpec) -> Provider:
    return LocalLlamaProvider(spec)


def _int_option(spec: ModelSpec, name: str, default: int) -> int:
    value = spec.options.get(name, default)
    try:
        if isinstance(value, (bool, float)):
            raise TypeError
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{spec.name}: option {name} expects a whole number, got {value!r}") from None
    if number < 1:
        raise ConfigError(f"{spec.name}: option {name} expects a number of at least 1, got {number}")
    return number


@dataclass(frozen=True)
class _Options:
    n_ctx: int
    threads: int
    step_tokens: int
    temperature: float


def _options(spec: ModelSpec) -> _Options:
    value = spec.options.get("temperature", DEFAULT_TEMPERATURE)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 2:
        raise ConfigError(f"{spec.name}: option temperature expects a number from 0 to 2, got {value!r}")
    return _Options(
        n_ctx=_int_option(spec, "num_ctx", DEFAULT_CTX),
        threads=_int_option(spec, "threads", runtime_threads()),
        step_tokens=_int_option(spec, "max_tokens", DEFAULT_STEP_TOKENS),
        temperature=float(value),
    )


class LocalLlamaProvider(Provider):
    emulated_tools = True

    def __init__(self, spec: ModelSpec, backend: ChatBackend | None = None) -> None:
        super().__init__(spec)
        opts = _options(spec)
        self.n_ctx, self.threads, self.step_tokens = opts.n_ctx, opts.threads, opts.step_tokens
        self.temperature = opts.temperature
        self._backend = backend  # tests pass a scripted one; otherwise loaded on first turn

    async def _ensure_backend(self) -> tuple[ChatBackend, float | None]:
        if self._backend is not None:
            return self._backend, None
        start = time.monotonic()
        backend, _ = await asyncio.to_thread(load_backend, self.spec.model, self.n_ctx, self.threads)
        self._backend = backend
        # Reported once per agent: the time it waited for the model (assembly, verification
        # and load; near zero when another agent in this process already loaded it).
        return backend, time.monotonic() - start

    def request_body(self, system: str, messages: list[Message], tools: list[ToolDef]) -> tuple[dict[str, Any], str]:
        req = build_request(system, messages, tools)
        body = {
            "messages": req.messages,
            "json_schema": req.schema,
            "max_tokens": self.step_tokens,
            "temperature": self.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
            "cache_prompt": True,  # each step's prompt extends the last: reuse its KV cache
        }
        return body, req.call_id

    async def stream_turn(
        self, system: str, messages: list[Message], tools: list[ToolDef]
    ) -> AsyncIterator[StreamEvent]:
        backend, load_s = await self._ensure_backend()
        body, call_id = self.request_body(system, messages, tools)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, ("chunk", chunk))
            except RuntimeError:  # the loop is gone: nobody is listening any more
                return True
            return stop.is_set()

        def work() -> None:
            try:
                backend.chat_stream(body, on_chunk)
                outcome: tuple[str, Any] = ("done", None)
            except BaseException as exc:  # handed to the event loop, raised there
                outcome = ("error", exc)
            try:
                loop.call_soon_threadsafe(queue.put_nowait, outcome)
            except RuntimeError:
                pass

        # A thread of its own, not the loop's default executor: a step can take minutes and
        # must not starve other to_thread work; daemon, so quitting never waits for a step.
        threading.Thread(target=work, name=f"nanotui-local-{call_id}", daemon=True).start()
        action = ActionStream()
        usage = Usage()
        finish: str | None = None
        metrics: dict[str, float] = {}
        yielded = False
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "error":
                    raise self._error(payload, yielded)
                if kind == "done":
                    break
                self._check_chunk_error(payload, yielded)
                for choice in payload.get("choices") or []:
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        for event in action.feed(delta):
                            yielded = True
                            yield event
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
                if payload.get("usage"):
                    usage = _usage(payload["usage"])
                if payload.get("timings"):
                    metrics.update(_rates(payload["timings"]))
        finally:
            stop.set()  # a cancelled turn stops generating at the next token
        if finish is None:
            raise ProviderError("the on-device model stopped without finishing its reply", mid_stream=yielded)
        if load_s is not None:
            metrics["load_s"] = load_s
        message = parse_action(action.buffer, call_id)
        stop_reason = "max_tokens" if finish == "length" else ("tool_use" if message.tool_calls else "end")
        yield StreamTurnEnd(message, usage, stop_reason, metrics)

    def _check_chunk_error(self, chunk: dict[str, Any], yielded: bool) -> None:
        # Streamed errors arrive through the same callback, as {"error": {...}}.
        err = chunk.get("error")
        if isinstance(err, dict):
            raise _runtime_error(err, yielded)

    def _error(self, exc: BaseException, yielded: bool) -> BaseException:
        if isinstance(exc, (ConfigError, ProviderError)):
            return exc
        return _runtime_error({"message": f"{type(exc).__name__}: {exc}"}, yielded)


def _runtime_error(err: dict[str, Any], yielded: bool) -> ProviderError:
    if err.get("type") == "exceed_context_size_error":
        message = (
            f"the conversation ({err.get('n_prompt_tokens', '?')} tokens) no longer fits the context of "
            f"{err.get('n_ctx', '?')} tokens; a roster entry with a larger num_ctx raises it"
        )
    else:
        text = str(err.get("message") or err).strip()
        message = text.splitlines()[0] if text else "unknown error"
    # Local failures are deterministic: retrying the same request gives the same error.
    return ProviderError(f"on-device model: {message}", status=err.get("code"), retryable=False, mid_stream=yielded)


def _usage(u: dict[str, Any]) -> Usage:
    cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0) or 0
    return Usage(
        input_tokens=int(u.get("prompt_tokens") or 0),
        cached_input_tokens=int(cached),
        output_tokens=int(u.get("completion_tokens") or 0),
    )


def _rates(t: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    # Rates over fewer than 2 tokens are noise (a fully cached prompt, an empty reply).
    if (t.get("prompt_n") or 0) >= 2 and t.get("prompt_per_second"):
        out["prompt_tokens_per_s"] = float(t["prompt_per_second"])
    if (t.get("predicted_n") or 0) >= 2 and t.get("predicted_per_second"):
        out["gen_tokens_per_s"] = float(t["predicted_per_second"])
    return out
