"""Where an agent's wall time went: its events folded into contiguous segments.

The segments tile the agent's clock from 0 (queued) to its wall time, so their durations add
up to ``wall_s``. Each event switches the agent into a state; the time until the next switch
is spent in that state:

- queued     waiting for a slot (before the start; between turns ``RequestStarted.queued_s``)
- waiting    a request went out, no token yet
- reasoning  reasoning tokens arriving
- streaming  text or tool-call arguments arriving
- tool       a tool running (and the few microseconds of bookkeeping around it)
- retry      waiting to retry after a rate limit or a failed request

Built live by the orchestrator (one :class:`TimelineBuilder` per agent, fed the same events
the store keeps) or afterwards from stored events with :func:`timeline_of`.
"""

from __future__ import annotations

from collections.abc import Iterable

from nanotui.engine.events import (
    AgentFinished,
    AgentStarted,
    Event,
    ReasoningDelta,
    RequestStarted,
    ResponseStarted,
    RetryScheduled,
    TextDelta,
    ToolCallStarted,
    TurnFinished,
)
from nanotui.engine.results import TimelineSegment

TIMELINE_KINDS = ("queued", "waiting", "reasoning", "streaming", "tool", "retry")

_DIGITS = 6  # boundaries rounded to the microsecond (a tool run can take less than a millisecond)
_BOOKKEEPING_S = 0.001  # "queued" for less than this is taking a free slot, not waiting


class TimelineBuilder:
    """Folds one agent's events, in order, into :class:`TimelineSegment` s."""

    def __init__(self) -> None:
        self._done: list[TimelineSegment] = []
        self._kind = "queued"
        self._since = 0.0
        self._turn: int | None = None
        self._tool: str | None = None
        self._turns_done = 0
        self._end: float | None = None

    def feed(self, event: Event) -> None:
        if self._end is not None:
            return
        at = event.at
        kind = type(event)
        if kind is TextDelta:
            if self._kind != "streaming":
                self._switch(at, "streaming")
        elif kind is ReasoningDelta:
            if self._kind != "reasoning":
                self._switch(at, "reasoning")
        elif kind is ResponseStarted:
            self._switch(at, "streaming")
        elif kind is RequestStarted:
            turn = event.turn  # type: ignore[union-attr]
            queued = max(0.0, event.queued_s)  # type: ignore[union-attr]
            if queued > 0:
                self._switch(at - queued, "queued", turn=turn)
            self._switch(at, "waiting", turn=turn)
        elif kind is ToolCallStarted:
            self._switch(at, "tool", turn=self._turns_done or self._turn, tool=event.name)  # type: ignore[union-attr]
        elif kind is TurnFinished:
            self._turns_done = event.turn  # type: ignore[union-attr]
        elif kind is RetryScheduled:
            self._switch(at, "retry")
        elif kind is AgentStarted:
            self._switch(at, "waiting", turn=1)
        elif kind is AgentFinished:
            self.close(at)

    def close(self, end_s: float) -> None:
        """End the last segment at ``end_s`` (the agent's wall time); later events are ignored."""
        if self._end is None:
            self._switch(end_s, "queued")
            self._end = end_s

    def segments(self, end_s: float | None = None) -> list[TimelineSegment]:
        """The segments so far, the last one closed at ``end_s`` if the agent has not finished."""
        if self._end is None and end_s is not None:
            self.close(end_s)
        return list(self._done)

    def _switch(self, at: float, kind: str, *, turn: int | None = None, tool: str | None = None) -> None:
        at = round(max(at, self._since), _DIGITS)
        if self._kind == "queued" and at - self._since < _BOOKKEEPING_S:
            at = self._since  # a slot granted at once: the microseconds go to what follows
        if at > self._since:
            last = self._done[-1] if self._done else None
            if last is not None and (last.kind, last.turn, last.tool) == (self._kind, self._turn, self._tool):
                self._done[-1] = TimelineSegment(last.kind, last.start_s, at, last.turn, last.tool)
            else:
                self._done.append(TimelineSegment(self._kind, self._since, at, self._turn, self._tool))
            self._since = at
        self._kind, self._tool = kind, tool
        if turn is not None:
            self._turn = turn


def timeline_of(events: Iterable[Event], wall_s: float | None = None) -> list[TimelineSegment]:
    """One agent's segments from its events (stored or live), closed at ``wall_s`` if given
    (else at its ``AgentFinished``). Events without times (runs recorded before) give []."""
    builder = TimelineBuilder()
    timed = False
    for event in events:
        timed = timed or event.at > 0
        builder.feed(event)
    if not timed:
        return []
    return builder.segments(wall_s)
