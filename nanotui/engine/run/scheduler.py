"""One queue for every agent of a run or a suite: per-provider concurrency limits that adapt
to rate limits, fair first-come order across runs, and a suite budget.

Every agent takes a *slot* of its provider's key for its whole life (``async with
scheduler.slot(spec, agent_id) as lease``). Several orchestrators given the same scheduler
share its limits, so the agents of all the task runs of a suite go through one queue per key.

Keys and their shipped limits (docs/providers.md lists them):

- ``openai``, ``anthropic`` — the hosted APIs, 16 agents at a time each;
- ``openai-compat@<base_url>`` — one per OpenAI-compatible endpoint, 16 at a time;
- ``ollama@<host>`` — one per Ollama server, 1 at a time: models on one host share its
  CPU/GPU, so two at once would each measure the other;
- ``local`` — the on-device model, 1 at a time (it gets its own cores, see
  ``nanotui.providers.local``).

A rate-limit (HTTP 429) episode cuts the key's limit by :data:`CUT_FACTOR` (at least 1); a
run of :data:`GROW_AFTER` successful turns, counted from :data:`EPISODE_S` after the last
429, grows it back by :data:`GROW_FACTOR` (at least +1), never above the base limit.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from nanotui.engine.roster.spec import ModelSpec

# How many agents of one key may run at once; a limit given for a provider ("ollama")
# applies to each of its keys ("ollama@host"); a limit for an exact key wins.
DEFAULT_PROVIDER_LIMITS: dict[str, int] = {"openai": 16, "openai-compat": 16, "anthropic": 16, "ollama": 1, "local": 1}
OLLAMA_DEFAULT_HOST = "127.0.0.1:11434"  # what the Ollama SDK uses when OLLAMA_HOST is unset

CUT_FACTOR = 0.5  # a 429 episode halves the limit (floor, at least 1) ...
EPISODE_S = 2.0  # ... once: further 429s within this many seconds of a cut are the same episode
GROW_AFTER = 5  # successful turns in a row (on the key, since the last change) before growing
GROW_FACTOR = 1.25  # a grow step: ×1.25, at least +1, never above the base limit

_PROVIDER_NAMES = {"openai": "OpenAI", "openai-compat": "the endpoint", "anthropic": "Anthropic",
                   "ollama": "Ollama", "local": "the on-device model"}


class BudgetReached(Exception):
    """Raised by :meth:`Scheduler.slot` instead of starting an agent once the suite budget is spent."""

    def __init__(self, max_cost_usd: float) -> None:
        super().__init__(f"not started: suite budget of ${max_cost_usd:g} reached")
        self.max_cost_usd = max_cost_usd


@dataclass(frozen=True, slots=True)
class SlotState:
    """One key's state, for display: why an agent is waiting, and how many are."""

    key: str
    limit: int  # the limit now (lower than base_limit after a rate-limit cut)
    base_limit: int
    running: int
    queued: int
    reason: str  # e.g. "Ollama at 127.0.0.1:11434 runs 1 at a time"


@dataclass(slots=True)
class LimitChange:
    at_s: float  # seconds since the scheduler was made
    key: str
    limit: int
    why: str  # "rate limited" | "recovered"


@dataclass(slots=True)
class _Key:
    name: str
    base: int
    label: str  # "Ollama at 127.0.0.1:11434"
    limit: int = 0
    running: int = 0
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)
    last_cut: float = -math.inf
    last_429: float = -math.inf
    successes: int = 0  # successful turns since the last change

    def reason(self) -> str:
        if self.limit < self.base:
            return f"{self.label} runs {self.limit} at a time (cut from {self.base} after rate limits)"
        return f"{self.label} runs {self.limit} at a time"


class Lease:
    """One agent's slot. The agent loop reports each turn's outcome to it (see
    ``nanotui.engine.agent.loop.TurnFeedback``); the orchestrator reads ``queue_s``."""

    def __init__(self, scheduler: Scheduler, key: _Key, agent_id: str) -> None:
        self._scheduler = scheduler
        self._key = key
        self.agent_id = agent_id
        self.queue_s = 0.0  # waiting for the slot, before the start and between turns
        self.cost_usd = 0.0  # the agent's spend so far (unknown prices count 0)
        self.holding = False

    async def before_request(self) -> None:
        await self._scheduler._between_turns(self)

    def rate_limited(self) -> None:
        self._scheduler._rate_limited(self._key)

    def turn_done(self, cost_usd: float | None) -> None:
        if cost_usd is not None:
            self.cost_usd = cost_usd  # the agent's running total
        self._scheduler._succeeded(self._key)


class Scheduler:
    def __init__(self, limits: dict[str, int] | None = None, *, max_cost_usd: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = {**DEFAULT_PROVIDER_LIMITS, **(limits or {})}
        self.max_cost_usd = max_cost_usd
        self._clock = clock
        self._t0 = clock()
        self._keys: dict[str, _Key] = {}
        self._leases: list[Lease] = []  # every lease granted, for the spend
        self.changes: list[LimitChange] = []  # every adaptive change, in order (benchmarks print it)

    # -- keys ------------------------------------------------------------------------------

    @staticmethod
    def key_for(spec: ModelSpec) -> str:
        if spec.provider == "openai-compat":
            return f"openai-compat@{(spec.base_url or '').rstrip('/')}"
        if spec.provider == "ollama":
            host = spec.base_url or os.environ.get("OLLAMA_HOST") or OLLAMA_DEFAULT_HOST
            return f"ollama@{host.rstrip('/')}"
        return spec.provider

    def _key(self, spec: ModelSpec) -> _Key:
        name = self.key_for(spec)
        key = self._keys.get(name)
        if key is None:
            base = max(1, int(self._limits.get(name, self._limits.get(spec.provider, 4))))
            where = name.partition("@")[2]
            label = _PROVIDER_NAMES.get(spec.provider, spec.provider)
            if spec.provider == "openai-compat":
                label = where
            elif where:
                label = f"{label} at {where}"
            key = self._keys[name] = _Key(name, base, label, limit=base)
        return key

    # -- slots -----------------------------------------------------------------------------

    @asynccontextmanager
    async def slot(self, spec: ModelSpec, agent_id: str, *,
                   on_queued: Callable[[str], None] | None = None) -> AsyncIterator[Lease]:
        """Wait for a slot of ``spec``'s key (first come, first served across every run that
        shares this scheduler) and hold it for the block. ``on_queued(reason)`` is called
        once if the agent has to wait. Raises :class:`BudgetReached` instead of starting
        an agent once the budget is spent."""
        key = self._key(spec)
        lease = Lease(self, key, agent_id)
        self._check_budget()
        if (key.running >= key.limit or key.waiters) and on_queued is not None:
            on_queued(key.reason())
        await self._acquire(lease, front=False)
        try:
            self._check_budget()
        except BudgetReached:
            self._release(lease)
            raise
        self._leases.append(lease)
        try:
            yield lease
        finally:
            self._release(lease)

    async def _acquire(self, lease: Lease, *, front: bool) -> None:
        key = lease._key
        started = self._clock()
        if key.running < key.limit and not key.waiters:
            key.running += 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if front:
                key.waiters.appendleft(waiter)
            else:
                key.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    # granted and cancelled at once: hand the slot on
                    key.running -= 1
                    self._wake(key)
                elif waiter in key.waiters:  # a release may have dropped it already
                    key.waiters.remove(waiter)
                raise
        lease.holding = True
        lease.queue_s += self._clock() - started

    async def _between_turns(self, lease: Lease) -> None:
        """After a cut, agents already running give up their slot between requests until
        the key is back under its limit: a cut slows the requests, not only the starts.
        They wait at the front of the queue, ahead of agents not yet started."""
        key = lease._key
        if key.running <= key.limit or not lease.holding:
            return
        self._release(lease)
        await self._acquire(lease, front=True)

    def _release(self, lease: Lease) -> None:
        if lease.holding:
            lease.holding = False
            lease._key.running -= 1
            self._wake(lease._key)

    def _wake(self, key: _Key) -> None:
        while key.waiters and key.running < key.limit:
            waiter = key.waiters.popleft()
            if waiter.done():
                continue
            key.running += 1  # counted now, so no later arrival can take it first
            waiter.set_result(None)

    # -- adaptive limits --------------------------------------------------------------------

    def _rate_limited(self, key: _Key) -> None:
        now = self._clock()
        key.successes = 0
        key.last_429 = now
        if now - key.last_cut < EPISODE_S:
            return
        key.last_cut = now
        new = max(1, math.floor(key.limit * CUT_FACTOR))
        if new != key.limit:
            key.limit = new
            self.changes.append(LimitChange(now - self._t0, key.name, new, "rate limited"))

    def _succeeded(self, key: _Key) -> None:
        if self._clock() - key.last_429 < EPISODE_S:
            key.successes = 0  # replies to requests sent before the refusals: not a recovery yet
            return
        key.successes += 1
        if key.limit >= key.base or key.successes < GROW_AFTER:
            return
        key.successes = 0
        key.limit = min(key.base, max(key.limit + 1, math.floor(key.limit * GROW_FACTOR)))
        self.changes.append(LimitChange(self._clock() - self._t0, key.name, key.limit, "recovered"))
        self._wake(key)

    # -- budget ----------------------------------------------------------------------------

    @property
    def spent_usd(self) -> float:
        """What the agents granted a slot have spent so far, by their finished turns (an
        unknown price counts 0)."""
        return sum(lease.cost_usd for lease in self._leases)

    def _check_budget(self) -> None:
        if self.max_cost_usd is not None and self.spent_usd >= self.max_cost_usd:
            raise BudgetReached(self.max_cost_usd)

    # -- display ---------------------------------------------------------------------------

    def limit_of(self, key: str) -> int | None:
        k = self._keys.get(key)
        return None if k is None else k.limit

    def snapshot(self) -> list[SlotState]:
        return [SlotState(k.name, k.limit, k.base, k.running, sum(not w.done() for w in k.waiters), k.reason())
                for k in self._keys.values()]
