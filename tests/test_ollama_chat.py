"""``ollama:MODEL`` through the real ``ollama`` AsyncClient against the loopback NDJSON server."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from nanotui.engine.errors import ConfigError
from nanotui.engine.events import ReasoningDelta, ToolCallStarted
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.ollama_chat import check_ready_to_run
from tests.helpers import run_models
from tests.servers.script import Call, Fault, Reply


def _user_roster(text: str) -> None:
    config = Path(os.environ["NANOTUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "roster.toml").write_text(text)


async def test_read_file_then_answer(ollama_server, workspace: Path) -> None:
    ollama_server.script(
        "gpt-oss:20b",
        Reply(reasoning="Read the README first.", calls=[Call("read_file", {"file_path": "README.md"})],
              input_tokens=900, output_tokens=40, load_duration_ns=2_500_000_000,
              eval_duration_ns=2_000_000_000, prompt_eval_duration_ns=300_000_000),
        Reply(text="The secret word is PLUM.", input_tokens=1000, output_tokens=25,
              load_duration_ns=1_000_000, eval_duration_ns=500_000_000, prompt_eval_duration_ns=200_000_000),
    )
    events: list = []
    run = await run_models(["ollama:gpt-oss:20b"], workspace=workspace, events=events)
    agent = run.agents[0]
    assert agent.status == "ok", agent.error
    assert agent.model == "ollama:gpt-oss:20b"
    assert agent.final_answer == "The secret word is PLUM."
    assert agent.cost_usd == 0.0
    assert (agent.usage.input_tokens, agent.usage.output_tokens) == (1900, 65)
    # Load time adds up over turns; rates are the latest turn's, from Ollama's own durations.
    assert agent.metrics["load_s"] == pytest.approx(2.501)
    assert agent.metrics["gen_tokens_per_s"] == pytest.approx(50.0)
    assert agent.metrics["prompt_tokens_per_s"] == pytest.approx(5000.0)
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Read the README first."
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert started[0].call_id == "call_1_0" and started[0].raw_arguments == '{"file_path": "README.md"}'

    first, second = (r.body for r in ollama_server.requests_for("/api/chat"))
    assert first["options"]["num_ctx"] == 32768 and first["think"] == "medium" and first["stream"] is True
    assert first["tools"][0]["function"]["name"] == "read_file"
    assistant, tool = second["messages"][2], second["messages"][3]
    assert assistant["tool_calls"] == [{"function": {"name": "read_file", "arguments": {"file_path": "README.md"}}}]
    assert assistant["thinking"] == "Read the README first."
    assert tool["role"] == "tool" and tool["tool_name"] == "read_file" and "PLUM" in tool["content"]


async def test_two_calls_in_one_turn_get_distinct_stable_ids(ollama_server, workspace: Path) -> None:
    ollama_server.script(
        "gpt-oss:20b",
        Reply(calls=[Call("read_file", {"file_path": "README.md"}), Call("list_directory", {})]),
        Reply(calls=[Call("get_file_info", {"file_path": "README.md"})]),
        Reply(text="done"),
    )
    run = await run_models(["ollama:gpt-oss:20b"], workspace=workspace)
    agent = run.agents[0]
    assert agent.status == "ok", agent.error
    assert [t.call_id for t in agent.tool_calls] == ["call_1_0", "call_1_1", "call_2_0"]
    assert all(t.ok for t in agent.tool_calls)


async def test_roster_options_reach_the_request(ollama_server) -> None:
    _user_roster('[models.small]\nspec = "ollama:qwen3:4b"\nthink = "high"\nnum_ctx = 8192\n'
                 'max_tokens = 512\ntemperature = 0.2\n')
    ollama_server.script("qwen3:4b", Reply(text="hi", stop="max_tokens"))
    run = await run_models(["small"])
    agent = run.agents[0]
    assert agent.status == "ok" and agent.stop_reason == "max_tokens"
    body = ollama_server.requests_for("/api/chat")[0].body
    assert body["think"] == "high"
    assert body["options"] == {"num_ctx": 8192, "num_predict": 512, "temperature": 0.2}


async def test_model_not_pulled_fails_at_once_with_the_pull_command(ollama_server) -> None:
    ollama_server.script("llama9:1b", Fault(404, "model 'llama9:1b' not found"))
    run = await run_models(["ollama:llama9:1b"])
    agent = run.agents[0]
    assert agent.status == "error" and agent.retries == 0
    assert "`ollama pull llama9:1b`" in agent.error


async def test_arguments_that_are_not_an_object_are_resampled_then_a_clear_error(ollama_server) -> None:
    # The SDK rejects such a line, so the turn is asked for again (a new sample may be fine).
    bad = Reply(calls=[Call("read_file", '"README.md"')])
    ollama_server.script("gpt-oss:20b", bad, Reply(text="fine now"))
    ollama_server.always("gpt-oss:120b", bad)
    run = await run_models(["ollama:gpt-oss:20b", "ollama:gpt-oss:120b"])
    ok, broken = run.agents
    assert ok.status == "ok" and ok.retries == 1 and ok.final_answer == "fine now"
    assert broken.status == "error" and broken.retries == 2
    assert "arguments that are not a JSON object" in broken.error


async def test_ollama_not_running_names_host_and_fix(monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{port}")
    run = await run_models(["ollama:gpt-oss:20b"])
    agent = run.agents[0]
    assert agent.status == "error"
    assert f"127.0.0.1:{port}" in agent.error and "ollama serve" in agent.error
    assert agent.retries == 2  # connection errors are retried (FAST_RETRY: 3 attempts)


def test_bad_think_and_num_ctx_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="think must be one of low, medium, high"):
        check_ready_to_run(ModelSpec("x", "ollama", "gpt-oss:20b", "x", options={"think": "max"}))
    with pytest.raises(ConfigError, match="num_ctx must be"):
        check_ready_to_run(ModelSpec("x", "ollama", "gpt-oss:20b", "x", options={"num_ctx": "big"}))
