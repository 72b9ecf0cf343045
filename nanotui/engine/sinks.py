"""Several subscribers on the one event stream (store, progress view, UI)."""

from __future__ import annotations

from collections.abc import Callable

from nanotui.engine.events import Event

Sink = Callable[[Event], None]


def fan_out(*sinks: Sink | None) -> Sink:
    """One sink that hands every event to each of ``sinks`` in order (``None`` skipped)."""
    chain = tuple(s for s in sinks if s is not None)

    def sink(event: Event) -> None:
        for s in chain:
            s(event)

    return sink
