"""Orchestration: concurrency, cancellation, limits and statuses, isolation of failures."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.events import AgentFinished, AgentStarted, ToolCallFinished
from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.run.orchestrator import Orchestrator
from nanotui.providers.registry import SdkProviders
from tests.helpers import FAST_RETRY, run_models
from tests.servers.script import Call, Reply


def orchestrator(specs: list[str], events: list, **kw) -> Orchestrator:
    roster = load_roster()
    return Orchestrator(AgentTask("go", kw.pop("workspace", None)), [roster.resolve(s) for s in specs],
                        providers=SdkProviders(), retry_policy=FAST_RETRY, sink=events.append, **kw)


async def test_cancel_one_agent_others_finish(openai_server) -> None:
    openai_server.script("gpt-5-nano", Reply(text="slow " * 50, first_byte_delay_s=5))
    openai_server.script("gpt-5-mini", Reply(text="quick", first_byte_delay_s=0.3))
    events: list = []
    orch = orchestrator(["openai:gpt-5-nano", "openai:gpt-5-mini"], events, limits=Limits(timeout_s=20))
    task = asyncio.create_task(orch.run())
    while not any(isinstance(e, AgentStarted) and e.agent_id == "a1" for e in events):
        await asyncio.sleep(0.01)
    assert orch.cancel("a1")
    run = await task
    by_id = {a.agent_id: a for a in run.agents}
    assert by_id["a1"].status == "cancelled"
    assert by_id["a2"].status == "ok" and by_id["a2"].final_answer == "quick"
    assert by_id["a1"].wall_s < 4
    assert by_id["a1"].cost_usd == 0.0  # nothing used yet costs nothing, not "unknown"
    assert not orch.cancel("a1")  # already finished


async def test_provider_concurrency_limit_queues_agents(openai_server) -> None:
    active, peak = 0, 0
    lock = threading.Lock()
    for m in ("gpt-5", "gpt-5-mini", "gpt-5-nano"):
        openai_server.script(m, Reply(text="ok", first_byte_delay_s=0.2))
    events: list = []

    def sink(e) -> None:
        nonlocal active, peak
        events.append(e)
        with lock:
            if isinstance(e, AgentStarted):
                active += 1
                peak = max(peak, active)
            elif isinstance(e, AgentFinished):
                active -= 1

    roster = load_roster()
    orch = Orchestrator(AgentTask("go"), [roster.resolve(f"openai:{m}") for m in ("gpt-5", "gpt-5-mini", "gpt-5-nano")],
                        providers=SdkProviders(), sink=sink, provider_limits={"openai": 1}, retry_policy=FAST_RETRY)
    run = await orch.run()
    assert all(a.status == "ok" for a in run.agents)
    assert peak == 1


async def test_max_turns_status(openai_server, workspace: Path) -> None:
    openai_server.always("gpt-5-mini", Reply(calls=[Call("list_directory", {})]))
    run = await run_models(["openai:gpt-5-mini"], workspace=workspace, limits=Limits(max_turns=3, timeout_s=20))
    agent = run.agents[0]
    assert agent.status == "max_turns" and agent.turns == 3 and len(agent.tool_calls) == 3


async def test_token_budget_status(openai_server) -> None:
    openai_server.always("gpt-5-mini", Reply(calls=[Call("list_directory", {})], input_tokens=600, output_tokens=100))
    run = await run_models(["openai:gpt-5-mini"], limits=Limits(max_turns=10, timeout_s=20, max_tokens=1000))
    assert run.agents[0].status == "budget" and run.agents[0].turns == 2


async def test_cost_budget_status(openai_server) -> None:
    openai_server.always("gpt-5", Reply(calls=[Call("list_directory", {})], input_tokens=100_000, output_tokens=10))
    run = await run_models(["openai:gpt-5"], limits=Limits(max_turns=10, timeout_s=20, max_cost_usd=0.2))
    assert run.agents[0].status == "budget"


async def test_wall_timeout_status(openai_server) -> None:
    openai_server.script("gpt-5-mini", Reply(text="late", first_byte_delay_s=3))
    run = await run_models(["openai:gpt-5-mini"], limits=Limits(timeout_s=0.5))
    assert run.agents[0].status == "timeout" and run.agents[0].wall_s < 2


async def test_unknown_tool_is_an_error_result_and_the_run_goes_on(openai_server, workspace: Path) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(calls=[Call("rm_rf", {"path": "/"}), Call("read_file", {"file_path": "README.md"})]),
        Reply(text="PLUM"),
    )
    events: list = []
    run = await run_models(["openai:gpt-5-mini"], workspace=workspace, events=events)
    agent = run.agents[0]
    assert agent.status == "ok" and agent.final_answer == "PLUM"
    results = [e for e in events if isinstance(e, ToolCallFinished)]
    assert [r.ok for r in results] == [False, True] and "unknown tool" in results[0].result
    second = openai_server.requests_for("/responses")[1].body["input"]
    outputs = [i["output"] for i in second if i.get("type") == "function_call_output"]
    assert "unknown tool 'rm_rf'" in outputs[0]


async def test_missing_key_fails_one_agent_not_the_run(openai_server, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    openai_server.script("gpt-5-mini", Reply(text="fine"))
    run = await run_models(["anthropic:claude-3-haiku", "openai:gpt-5-mini"])
    statuses = {a.model.split(":")[0]: a for a in run.agents}
    assert statuses["anthropic"].status == "error" and "ANTHROPIC_API_KEY is not set" in statuses["anthropic"].error
    assert statuses["openai"].status == "ok"


async def test_run_cancelled_as_a_whole_keeps_finished_agents(openai_server) -> None:
    from nanotui.engine.run.orchestrator import RunInterrupted

    openai_server.script("gpt-5-mini", Reply(text="done"))
    openai_server.script("gpt-5-nano", Reply(text="never", first_byte_delay_s=10))
    events: list = []
    orch = orchestrator(["openai:gpt-5-mini", "openai:gpt-5-nano"], events, limits=Limits(timeout_s=30))
    task = asyncio.create_task(orch.run())
    while not any(isinstance(e, AgentFinished) for e in events):
        await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
        raise AssertionError("expected RunInterrupted")
    except RunInterrupted as exc:
        run = exc.run
    assert run.interrupted
    statuses = {a.agent_id: a.status for a in run.agents}
    assert statuses == {"a1": "ok", "a2": "cancelled"}
