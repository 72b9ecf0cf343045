"""The registry the front ends hand to the engine: builds providers by protocol, imports
their SDKs ahead of time and checks a spec can run (DESIGN §2)."""

from __future__ import annotations

import importlib
from types import ModuleType

from nanotui.engine.agent.provider import Provider
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.base import api_key_for


def protocol_module(spec: ModelSpec) -> ModuleType:
    """The wire protocol's module; imported only when used (SDK imports are slow)."""
    return importlib.import_module(f"nanotui.providers.{spec.protocol}")


class SdkProviders:
    """Providers backed by the official SDKs (and the on-device runtime)."""

    def create(self, spec: ModelSpec) -> Provider:
        provider: Provider = protocol_module(spec).create(spec)
        return provider

    def preload(self, specs: list[ModelSpec]) -> None:
        """Import the protocol modules and their SDKs for ``specs``. Blocking (the anthropic
        SDK alone takes ~1.2 s): call it in a thread, before agents start their clocks, so
        one agent's import neither freezes the event loop nor inflates another's wall time."""
        for spec in sorted({s.protocol: s for s in specs}.values(), key=lambda s: s.protocol):
            module = protocol_module(spec)
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

    def check_ready(self, spec: ModelSpec) -> None:
        """Fail fast, before a run starts, on what the user must fix (a missing key)."""
        api_key_for(spec)
        check = getattr(protocol_module(spec), "check_ready_to_run", None)
        if check is not None:
            check(spec)


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
