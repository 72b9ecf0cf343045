"""The scheduler: one queue per provider key shared by several runs, adaptive limits, queue
time kept out of working time, and the suite budget; against the loopback servers."""

from __future__ import annotations

import asyncio
import io
import itertools

import pytest

from nanotui.commands.progress import Progress
from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.errors import ProviderError
from nanotui.engine.events import AgentFinished, AgentQueued, AgentStarted
from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.live import LiveBoard
from nanotui.engine.run.orchestrator import Orchestrator
from nanotui.engine.run.scheduler import EPISODE_S, GROW_AFTER, Scheduler
from nanotui.providers.registry import SdkProviders
from tests.helpers import FAST_RETRY
from tests.servers.script import Call, Fault, Reply


def orch(specs: list[str], events: list, scheduler: Scheduler | None, limits: Limits = Limits(max_turns=20, timeout_s=20),
         **kw) -> Orchestrator:
    roster = load_roster()
    return Orchestrator(AgentTask("go"), [roster.resolve(s) for s in specs], providers=SdkProviders(),
                        retry_policy=FAST_RETRY, sink=events.append, scheduler=scheduler,
                        limits=limits, **kw)


def test_keys_split_hosts_and_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    key = Scheduler.key_for
    assert key(ModelSpec("x", "openai", "gpt-5", "x")) == "openai"
    assert key(ModelSpec("x", "anthropic", "claude", "x")) == "anthropic"
    assert key(ModelSpec("x", "local", "qwen", "x")) == "local"
    assert key(ModelSpec("x", "ollama", "gpt-oss:20b", "x")) == "ollama@127.0.0.1:11434"
    assert key(ModelSpec("x", "ollama", "m", "x", base_url="http://gpu:11434/")) == "ollama@http://gpu:11434"
    monkeypatch.setenv("OLLAMA_HOST", "box:1")
    assert key(ModelSpec("x", "ollama", "m", "x")) == "ollama@box:1"
    assert key(ModelSpec("x", "openai-compat", "m", "x", base_url="http://a/v1")) == "openai-compat@http://a/v1"


async def test_local_models_on_one_host_run_one_at_a_time() -> None:
    s = Scheduler()
    a, b = ModelSpec("a", "ollama", "m1", "a"), ModelSpec("b", "ollama", "m2", "b")
    reasons: list[str] = []
    async with s.slot(a, "a1"):
        waiting = asyncio.create_task(_hold(s, b, reasons))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        (state,) = s.snapshot()
        assert (state.running, state.queued, state.limit) == (1, 1, 1)
    await waiting
    assert reasons and "Ollama at " in reasons[0] and "runs 1 at a time" in reasons[0]


async def _hold(s: Scheduler, spec: ModelSpec, reasons: list[str]) -> None:
    async with s.slot(spec, "a2", on_queued=reasons.append):
        pass


async def test_two_runs_share_one_limit_first_come_first_served(openai_server) -> None:
    for m in ("gpt-5", "gpt-5-mini", "gpt-5-nano"):
        openai_server.always(m, Reply(text="ok", first_byte_delay_s=0.2))
    scheduler = Scheduler({"openai": 2})
    events: list = []
    order: list[str] = []
    active, peak = 0, 0

    def sink(tag: str):
        def on(e) -> None:
            nonlocal active, peak
            events.append(e)
            if isinstance(e, AgentStarted):
                order.append(f"{tag}.{e.agent_id}")
                active += 1
                peak = max(peak, active)
            elif isinstance(e, AgentFinished):
                active -= 1
        return on

    specs = ["openai:gpt-5", "openai:gpt-5-mini", "openai:gpt-5-nano"]
    one, two = orch(specs, [], scheduler), orch(specs, [], scheduler)
    one.sink, two.sink = sink("r1"), sink("r2")
    first = asyncio.create_task(one.run())
    while not order:  # the first run's agents are all in the queue before the second run starts
        await asyncio.sleep(0.01)
    runs = await asyncio.gather(first, two.run())
    assert all(a.status == "ok" for r in runs for a in r.agents)
    assert peak == 2  # the limit holds across both runs, not per run
    # First come, first served: the first run's agents all start before the second's. (Within a
    # run, two agents granted slots together may report their start in either order: each
    # copies its workspace in a thread first.)
    assert sorted(order[:3]) == ["r1.a1", "r1.a2", "r1.a3"] and sorted(order[3:]) == ["r2.a1", "r2.a2", "r2.a3"]
    queued = [e for e in events if isinstance(e, AgentQueued)]
    assert len(queued) == 4 and queued[0].reason == "OpenAI runs 2 at a time"
    assert scheduler.snapshot()[0].running == 0


async def test_queue_time_is_recorded_and_not_working_time(openai_server) -> None:
    openai_server.always("gpt-5-mini", Reply(text="ok", first_byte_delay_s=0.4))
    run = await orch(["openai:gpt-5-mini", "openai:gpt-5-mini"], [], Scheduler({"openai": 1})).run()
    first, second = run.agents
    assert first.queue_s < 0.1
    assert second.queue_s >= 0.35  # waited for the first agent's slot
    assert second.wall_s >= second.queue_s + 0.35  # wall time counts from the queue
    assert second.working_s == pytest.approx(second.wall_s - second.queue_s, abs=1e-6)
    assert second.working_s < 0.35 + 0.4  # the wait is not working time
    assert second.to_dict()["queue_s"] == pytest.approx(second.queue_s, abs=1e-3)


async def test_rate_limits_cut_the_limit_and_successes_restore_it(openai_server) -> None:
    turns = GROW_AFTER * 2 + 2
    openai_server.script("gpt-5-mini", Fault(429, "slow down", retry_after=0.01),
                         *[Reply(calls=[Call("list_directory", {})]) for _ in range(turns)], Reply(text="done"))
    ticks = itertools.count(0.0, 1.0)  # every reading of the clock is a second later: turns look slow
    scheduler = Scheduler({"openai": 4}, clock=lambda: next(ticks))
    run = await orch(["openai:gpt-5-mini"], [], scheduler).run()
    assert run.agents[0].status == "ok" and run.agents[0].retries == 1
    assert [(c.limit, c.why) for c in scheduler.changes] == [(2, "rate limited"), (3, "recovered"), (4, "recovered")]
    assert scheduler.limit_of("openai") == 4  # never above the base


async def test_one_episode_cuts_once() -> None:
    now = [0.0]
    s = Scheduler({"openai": 16}, clock=lambda: now[0])
    spec = ModelSpec("x", "openai", "gpt-5", "x")
    async with s.slot(spec, "a1") as lease:
        for _ in range(5):  # a burst of 429s from several agents at once
            lease.rate_limited()
        assert s.limit_of("openai") == 8
        now[0] = 5.0
        lease.rate_limited()
        assert s.limit_of("openai") == 4
        for _ in range(10):
            lease.rate_limited()
            now[0] += 5.0
        assert s.limit_of("openai") == 1  # at least 1


async def test_suite_budget_stops_new_agents_running_ones_finish(openai_server) -> None:
    openai_server.always("gpt-5-mini", Reply(text="ok", first_byte_delay_s=0.1, input_tokens=10_000))
    scheduler = Scheduler({"openai": 1}, max_cost_usd=0.000001)
    events: list = []
    one = orch(["openai:gpt-5-mini", "openai:gpt-5-mini"], events, scheduler)
    two = orch(["openai:gpt-5-mini"], events, scheduler)
    r1, r2 = await asyncio.gather(one.run(), two.run())
    agents = r1.agents + r2.agents
    # The first to get the slot (either run's: both prepare at once) ran to the end; the rest never started.
    assert sorted(a.status for a in agents) == ["budget", "budget", "ok"]
    (ran,) = [a for a in agents if a.status == "ok"]
    for a in agents:
        if a is not ran:
            assert a.error == "not started: suite budget of $1e-06 reached" and a.turns == 0
    assert scheduler.spent_usd == pytest.approx(ran.cost_usd)
    assert len(openai_server.requests_for("/responses")) == 1


async def test_cancel_all_while_queued_frees_the_queue(openai_server) -> None:
    openai_server.always("gpt-5-mini", Reply(text="ok", first_byte_delay_s=5))
    scheduler = Scheduler({"openai": 1})
    events: list = []
    o = orch(["openai:gpt-5-mini"] * 3, events, scheduler)
    task = asyncio.create_task(o.run())
    while not any(isinstance(e, AgentStarted) for e in events):
        await asyncio.sleep(0.01)
    o.cancel_all()
    run = await task
    assert [a.status for a in run.agents] == ["cancelled"] * 3
    (state,) = scheduler.snapshot()
    assert (state.running, state.queued) == (0, 0)


def test_live_board_and_progress_say_why_an_agent_waits() -> None:
    board = LiveBoard()
    out = io.StringIO()
    progress = Progress(board, stream=out)
    progress(AgentQueued("a2", "ollama:m", "m", "Ollama at 127.0.0.1:11434 runs 1 at a time"))
    agent = board.agents["a2"]
    assert agent.status == "queued" and agent.queue_reason == "Ollama at 127.0.0.1:11434 runs 1 at a time"
    assert "queued: Ollama at 127.0.0.1:11434 runs 1 at a time" in out.getvalue()
    progress(AgentStarted("a2", "ollama:m", "m"))
    assert agent.queue_reason is None and agent.status == "thinking"
    assert agent.elapsed() >= 0.0


async def test_waiters_cancelled_as_the_slot_frees_leave_cleanly() -> None:
    s = Scheduler({"openai": 1})
    spec = ModelSpec("x", "openai", "gpt-5", "x")
    async with s.slot(spec, "a1"):
        waiting = [asyncio.create_task(_hold(s, spec, [])) for _ in range(2)]
        await asyncio.sleep(0.01)
        for t in waiting:
            t.cancel()  # and the slot frees in the same step, before they wake
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes), outcomes
    (state,) = s.snapshot()
    assert (state.running, state.queued) == (0, 0)


def test_rate_limits_are_waited_out_longer_than_failures() -> None:
    policy = RetryPolicy()
    limited = ProviderError("429", status=429, retryable=True, retry_after=1.0)
    broken = ProviderError("500", status=500, retryable=True)
    assert policy.delay(policy.max_attempts, broken, 3.0) is None  # a failing server: give up
    assert policy.delay(policy.max_attempts, limited, 3.0) == 1.0  # a pacing one: wait as told
    assert policy.delay(policy.max_rate_limited_attempts, limited, 9.0) is None
    assert policy.delay(5, limited, policy.max_total_wait_s - 0.5) is None  # total wait still bounded


async def test_an_agent_refused_five_times_in_a_row_still_finishes(openai_server) -> None:
    openai_server.script("gpt-5-mini", *[Fault(429, "slow down", retry_after=0.01)] * 5, Reply(text="ok"))
    run = await orch(["openai:gpt-5-mini"], [], Scheduler()).run()
    assert run.agents[0].status == "ok" and run.agents[0].retries == 5


async def test_after_a_cut_running_agents_wait_between_turns(openai_server) -> None:
    openai_server.script("gpt-5-mini", Fault(429, "slow down", retry_after=0.01))
    openai_server.always("gpt-5-mini", Reply(calls=[Call("list_directory", {})], first_byte_delay_s=0.2))
    scheduler = Scheduler({"openai": 4})
    run = await orch(["openai:gpt-5-mini"] * 4, [], scheduler, limits=Limits(max_turns=4, timeout_s=20)).run()
    assert [a.status for a in run.agents] == ["max_turns"] * 4
    assert scheduler.changes[0].limit == 2
    paused = [a for a in run.agents if a.queue_s > 0.15]
    assert len(paused) >= 2  # all four started at once; two gave up their slot after the cut
    for a in paused:
        assert a.working_s == pytest.approx(a.wall_s - a.queue_s - a.retry_wait_s, abs=1e-6)
        assert a.working_s < a.wall_s - 0.15


async def test_no_growth_while_429s_keep_coming() -> None:
    now = [0.0]
    s = Scheduler({"openai": 16}, clock=lambda: now[0])
    spec = ModelSpec("x", "openai", "gpt-5", "x")
    async with s.slot(spec, "a1") as lease:
        lease.rate_limited()
        assert s.limit_of("openai") == 8
        now[0] = 1.0
        for _ in range(GROW_AFTER * 3):  # successes that finish while refusals still arrive
            lease.turn_done(0.0)
        assert s.limit_of("openai") == 8
        now[0] = 1.0 + EPISODE_S
        for _ in range(GROW_AFTER):
            lease.turn_done(0.0)
        assert s.limit_of("openai") == 10
