"""Plays a stored run's events back on the times they were recorded at.

Every stored event carries ``at``: seconds on its agent's clock, which starts when the agents
are queued together at the run's start, so it is one axis for the whole run. The player keeps
a clock on that axis (the *run time*) that advances ``speed`` times as fast as the real one,
and hands each event to ``deliver`` once the run time reaches it. Paused, the run time stands
still. ``speed`` ``None`` is "max": every event goes at once, a batch at a time between which
the UI's event loop draws and answers keys.

A run recorded before event times were kept has ``at == 0`` on every event; it gets a steady
pace instead (each agent's turns one :data:`TURN_PACE_S` apart, the events of a turn spread
evenly within it), and :attr:`ReplayPlayer.timed` is false so the screen can say so.

The real clock and the sleep are injected, so tests drive the player without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nanotui.engine.events import Event, TurnFinished

TURN_PACE_S = 1.0  # untimed runs: one turn per agent per second of run time
TURN_SPREAD = 0.8  # ... its events spread over the first 80 % of that second
SLICE_S = 0.1  # longest real sleep before pause and speed are looked at again
BATCH = 200  # at max speed (and when stepping): events handed over between yields to the UI
FASTEST = 1024.0  # "+" past this is max; "-" from max comes back to it
SLOWEST = 1 / 64

Deliver = Callable[[Event], None]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Cue:
    """One event and when it happens on the run's time axis (seconds)."""

    at: float
    event: Event


def event_time(event: Event) -> float:
    """The event's recorded time; 0.0 for events stored before times were kept."""
    return event.at


def cue_sheet(events: Sequence[Event]) -> tuple[list[Cue], bool]:
    """The events in stored order with their times, and whether the run recorded times at
    all (when it did not, the times are a steady pace by turn)."""
    if any(event_time(e) > 0 for e in events):
        return [Cue(event_time(e), e) for e in events], True
    # Per agent, the events of each turn (a turn ends with its TurnFinished).
    turn_of: list[int] = []
    turns: dict[str, int] = {}
    sizes: dict[tuple[str, int], int] = {}
    for e in events:
        turn = turns.get(e.agent_id, 0)
        turn_of.append(turn)
        sizes[(e.agent_id, turn)] = sizes.get((e.agent_id, turn), 0) + 1
        if isinstance(e, TurnFinished):
            turns[e.agent_id] = turn + 1
    cues: list[Cue] = []
    seen: dict[tuple[str, int], int] = {}
    for e, turn in zip(events, turn_of):
        key = (e.agent_id, turn)
        k = seen.get(key, 0)
        seen[key] = k + 1
        cues.append(Cue(TURN_PACE_S * (turn + TURN_SPREAD * k / sizes[key]), e))
    return cues, False


def speed_text(speed: float | None) -> str:
    return "max" if speed is None else f"{speed:g}×"


class ReplayPlayer:
    """The clock and the pace of one replay; :meth:`play` is its one loop."""

    def __init__(self, events: Sequence[Event], *, speed: float | None = 1.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.cues, self.timed = cue_sheet(events)
        self._end = max((c.at for c in self.cues), default=0.0)
        self.speed = speed  # None: as fast as the UI takes them
        self.paused = False
        self.position = 0  # cues handed over so far
        self.on_pause: Callable[[], None] | None = None  # called when a step ends (paused by the player)
        self._clock = clock
        self._sleep = sleep
        self._stepping = False  # run to the next TurnFinished at once, then pause
        self._run_time = 0.0  # run time at the last anchor
        self._handing: float | None = None  # the time of the event being handed over
        self._anchor = clock()  # real time of the last anchor
        self._resumed = asyncio.Event()
        self._resumed.set()

    # -- the run time ----------------------------------------------------------------------

    def now(self) -> float:
        """Seconds on the run's time axis (the panes' clock). While an event is handed over it
        is that event's own time, so a pane notes the time the run recorded, even when the
        event is handed over late (a busy UI, a step, max speed)."""
        if self._handing is not None:
            return self._handing
        if self.paused or self.over or self.speed is None or self._stepping:
            return self._run_time
        return self._run_time + (self._clock() - self._anchor) * self.speed

    def _set(self, run_time: float) -> None:
        """Re-anchor: the run time is ``run_time`` now (pause, speed change, a jump)."""
        self._run_time = run_time
        self._anchor = self._clock()

    @property
    def over(self) -> bool:
        return self.position >= len(self.cues)

    @property
    def end(self) -> float:
        """The latest event time: how long the replay runs at 1×."""
        return self._end

    # -- controls (keys) -------------------------------------------------------------------

    def pause(self) -> None:
        if not self.paused:
            self._set(self.now())
            self.paused = True
            self._resumed.clear()

    def resume(self) -> None:
        if self.paused:
            self._set(self._run_time)
            self.paused = False
            self._resumed.set()

    def step(self) -> None:
        """Play on to the next turn boundary of any agent, at once, then pause."""
        if self.over:
            return
        self._set(self.now())
        self._stepping = True
        self.paused = False
        self._resumed.set()

    def faster(self) -> None:
        if self.speed is not None:
            self._set(self.now())
            self.speed = None if self.speed * 2 > FASTEST else self.speed * 2

    def slower(self) -> None:
        self._set(self.now())
        self.speed = FASTEST if self.speed is None else max(SLOWEST, self.speed / 2)

    @property
    def state(self) -> str:
        """What the status line says: ``"replay · 50× · paused"``."""
        what = "over" if self.over else "paused" if self.paused else "stepping" if self._stepping else "playing"
        return f"replay · {speed_text(self.speed)} · {what}"

    # -- the loop --------------------------------------------------------------------------

    async def play(self, deliver: Deliver) -> None:
        """Hand every cue to ``deliver`` on its time; returns when all are delivered."""
        since_yield = 0
        self._set(self._run_time)  # the run time starts now, not when the player was made
        while not self.over:
            if self.paused:
                await self._resumed.wait()
                continue
            cue = self.cues[self.position]
            at_once = self._stepping or self.speed is None
            if not at_once:
                ahead = cue.at - self.now()
                if ahead > 0:
                    # In slices, so that a pause or a new speed takes effect at once.
                    await self._sleep(min(ahead / (self.speed or 1.0), SLICE_S))
                    continue
            elif cue.at > self._run_time:
                self._run_time = cue.at
            if self.position + 1 == len(self.cues) and not at_once:
                self._set(max(self.now(), cue.at))  # the run time stops here: freeze it
            self.position += 1
            self._handing = cue.at
            try:
                deliver(cue.event)
            finally:
                self._handing = None
            if self._stepping and isinstance(cue.event, TurnFinished):
                self._stepping = False  # the run time is the boundary's: stand still there
                self.paused = True
                self._resumed.clear()
                if self.on_pause is not None:
                    self.on_pause()
            since_yield += 1
            if at_once and since_yield >= BATCH:
                since_yield = 0
                await self._sleep(0)  # let the UI draw and answer keys between batches
        self._run_time = max(self._run_time, self.end)
        self._stepping = False
