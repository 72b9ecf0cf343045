"""The provider interface the agent loop and the judge talk to, and the registry through
which a front end hands the engine its providers.

The engine never imports :mod:`nanotui.providers`: the composing layer (the CLI, the app,
tests) builds a :class:`ProviderRegistry` and passes it down, so the two packages depend
in one direction only (providers -> engine).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Protocol

from nanotui.engine.agent.stream import StreamEvent
from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.agent.transcript import Message
from nanotui.engine.roster.spec import ModelSpec


class Provider(ABC):
    """Streams one model turn. SDK retries are off: the engine's RetryPolicy decides.

    Implementations raise :class:`nanotui.engine.errors.ProviderError` for failures,
    with ``mid_stream=True`` once any output has been yielded.
    """

    emulated_tools: bool = False

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    @abstractmethod
    def stream_turn(self, system: str, messages: list[Message], tools: list[ToolDef]) -> AsyncIterator[StreamEvent]:
        """Yield text/reasoning/tool-call deltas, then exactly one StreamTurnEnd."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients and connections."""


class ProviderRegistry(Protocol):
    """What the engine needs from the providers package."""

    def create(self, spec: ModelSpec) -> Provider:
        """A provider for ``spec`` (its key is read from the environment here)."""
        ...

    def preload(self, specs: list[ModelSpec]) -> None:
        """Import and prepare what ``specs`` need (blocking: call it in a thread)."""
        ...

    def check_ready(self, spec: ModelSpec) -> None:
        """Raise :class:`~nanotui.engine.errors.ConfigError` for what the user must fix
        before ``spec`` can run (a missing key, a bad option)."""
        ...


async def close_quietly(provider: Provider | None) -> None:
    """Release a provider's connections; a failure to close never masks a result."""
    if provider is None:
        return
    try:
        await provider.aclose()
    except Exception:
        pass
