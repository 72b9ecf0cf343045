"""The provider interface every wire protocol implements, and lazy construction by spec."""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from nanotui.engine.errors import ConfigError, ProviderError
from nanotui.engine.models import ModelSpec
from nanotui.engine.stream import StreamEvent
from nanotui.engine.tools import ToolDef
from nanotui.engine.transcript import Message

# Every request has a timeout; a stalled stream ends as an error, never a hang.
DEFAULT_REQUEST_TIMEOUT_S = 120.0


class Provider(ABC):
    """Streams one model turn. SDK retries are off: the engine's RetryPolicy decides.

    Implementations raise :class:`nanotui.engine.errors.ProviderError` for failures,
    with ``mid_stream=True`` once any output has been yielded.
    """

    emulated_tools: bool = False

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    @abstractmethod
    def stream_turn(
        self, system: str, messages: list[Message], tools: list[ToolDef]
    ) -> AsyncIterator[StreamEvent]:
        """Yield text/reasoning/tool-call deltas, then exactly one StreamTurnEnd."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients and connections."""


def api_key_for(spec: ModelSpec) -> str | None:
    """The key from the environment, or a one-line ConfigError naming the variable."""
    env = spec.key_env
    if env is None:
        return None
    key = os.environ.get(env)
    if not key:
        raise ConfigError(f"{env} is not set — needed by {spec.spec}")
    return key


def request_timeout(spec: ModelSpec) -> float:
    return float(spec.options.get("timeout", DEFAULT_REQUEST_TIMEOUT_S))


def http_error(status: int, message: str, hint: str = "", retry_after: str | float | None = None) -> ProviderError:
    """The ProviderError for an HTTP error status, the same for every protocol: keys
    redacted, 429/408/5xx retryable (honouring Retry-After), other client errors final."""
    from nanotui.engine.retry import is_retryable_status, parse_retry_after
    from nanotui.engine.secrets import redact

    wait = parse_retry_after(retry_after) if isinstance(retry_after, str) else retry_after
    return ProviderError(
        redact(f"HTTP {status}: {message}{hint}"),
        status=status,
        retryable=is_retryable_status(status),
        retry_after=wait,
    )


def make_provider(spec: ModelSpec) -> Provider:
    """Import the protocol module only when it is used (SDK imports are slow)."""
    module = importlib.import_module(f"nanotui.providers.{spec.protocol}")
    return module.create(spec)


def preload(specs: list[ModelSpec]) -> None:
    """Import the protocol modules and their SDKs for ``specs``. Blocking (the anthropic SDK
    alone takes ~1.2 s): call it in a thread, before agents start their clocks, so one
    agent's import neither freezes the event loop nor inflates another agent's wall time."""
    for protocol in sorted({s.protocol for s in specs}):
        module = importlib.import_module(f"nanotui.providers.{protocol}")
        try:
            for name in getattr(module, "SDK_MODULES", ()):
                importlib.import_module(name)
            stream_type = getattr(module, "STREAM_EVENT_TYPE", None)
            if stream_type is not None:
                # pydantic builds a model's validator on first use: on the first streamed
                # event, on the event loop, for every event class at once. Do it here.
                type_module, type_name = stream_type
                _build_models(getattr(importlib.import_module(type_module), type_name), set())
        except ImportError:
            pass  # reported per agent, with the install command, when it starts


def _build_models(annotation: object, seen: set[int]) -> None:
    """``model_rebuild()`` every pydantic model in a (union) type annotation, recursively."""
    import typing

    if id(annotation) in seen:
        return
    seen.add(id(annotation))
    rebuild = getattr(annotation, "model_rebuild", None)
    if isinstance(annotation, type) and callable(rebuild):
        rebuild()
        return
    for arg in typing.get_args(annotation):
        _build_models(arg, seen)


def check_ready_to_run(spec: ModelSpec) -> None:
    """Fail fast, before a run starts, on what the user must fix (a missing key)."""
    api_key_for(spec)
    module = importlib.import_module(f"nanotui.providers.{spec.protocol}")
    check = getattr(module, "check_ready_to_run", None)
    if check is not None:
        check(spec)
