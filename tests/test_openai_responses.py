from pathlib import Path

from nanotui.engine.events import TextDelta, ToolCallFinished
from tests.helpers import run_models
from tests.servers.script import Call, Reply


async def test_read_file_then_answer(openai_server, workspace: Path) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(calls=[Call("read_file", {"file_path": "README.md"})], reasoning="look at the file", reasoning_tokens=5),
        Reply(text="The secret word is PLUM.", input_tokens=300, cached_tokens=100),
    )
    events = []
    run = await run_models(["openai:gpt-5-mini"], workspace=workspace, events=events)
    agent = run.agents[0]
    assert agent.status == "ok", agent.error
    assert agent.final_answer == "The secret word is PLUM."
    assert agent.turns == 2
    assert [t.name for t in agent.tool_calls] == ["read_file"] and agent.tool_calls[0].ok
    assert agent.usage.input_tokens == 400 and agent.usage.cached_input_tokens == 100
    assert agent.ttft_s is not None and agent.cost_usd is not None and agent.cost_usd > 0
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "The secret word is PLUM."
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert "PLUM" in finished[0].result
    # The second request replays the tool result and the reasoning item.
    second = openai_server.requests_for("/responses")[1].body
    kinds = [i.get("type") for i in second["input"]]
    assert "function_call_output" in kinds and "reasoning" in kinds
    assert "temperature" not in second and second["reasoning"]["effort"] == "medium"


async def test_ttft_counts_text_after_reasoning(openai_server) -> None:
    openai_server.script("gpt-5-mini", Reply(text="hello", reasoning="thinking first", first_byte_delay_s=0.05))
    run = await run_models(["openai:gpt-5-mini"])
    assert run.agents[0].ttft_s is not None and run.agents[0].ttft_s >= 0.05


async def test_max_output_tokens_is_surfaced(openai_server) -> None:
    openai_server.script("gpt-5-mini", Reply(text="cut sho", stop="max_tokens"))
    run = await run_models(["openai:gpt-5-mini"])
    assert run.agents[0].stop_reason == "max_tokens"
