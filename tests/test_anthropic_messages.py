"""``anthropic:MODEL`` through the real SDK against the loopback Messages SSE server."""

from __future__ import annotations

from pathlib import Path

import pytest
from genai_prices import Usage as GUsage
from genai_prices import calc_price

from nanotui.engine.errors import ConfigError
from nanotui.engine.events import ReasoningDelta, TextDelta, ToolCallFinished
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.anthropic_messages import base_url_from_env, token_limits
from tests.helpers import run_models
from tests.servers.script import Call, Fault, Reply

HAIKU = "claude-3-haiku-20240307"


async def test_read_file_then_answer_with_cache_usage(anthropic_server, workspace: Path) -> None:
    anthropic_server.script(
        HAIKU,
        Reply(calls=[Call("read_file", {"file_path": "README.md"})], input_tokens=1200,
              cache_write_tokens=1000, output_tokens=30, arg_chunks=4),
        Reply(text="The secret word is PLUM.", input_tokens=1300, cached_tokens=1000, output_tokens=12),
    )
    events: list = []
    run = await run_models(["anthropic:claude-3-haiku"], workspace=workspace, events=events)
    agent = run.agents[0]
    assert agent.status == "ok", agent.error
    assert agent.model == f"anthropic:{HAIKU}"
    assert agent.final_answer == "The secret word is PLUM."
    assert [t.name for t in agent.tool_calls] == ["read_file"] and agent.tool_calls[0].ok
    # Normalised: input counts cache reads and writes; they are kept apart for pricing.
    u = agent.usage
    assert (u.input_tokens, u.cached_input_tokens, u.cache_write_tokens, u.output_tokens) == (2500, 1000, 1000, 42)
    expected = calc_price(
        GUsage(input_tokens=2500, cache_read_tokens=1000, cache_write_tokens=1000, output_tokens=42),
        HAIKU, provider_id="anthropic",
    )
    assert agent.cost_usd == pytest.approx(float(expected.total_price))
    # Cache reads cost less than fresh input, writes more: a flat price would differ.
    flat = calc_price(GUsage(input_tokens=2500, output_tokens=42), HAIKU, provider_id="anthropic")
    assert agent.cost_usd != pytest.approx(float(flat.total_price))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "The secret word is PLUM."
    assert "PLUM" in [e for e in events if isinstance(e, ToolCallFinished)][0].result

    first, second = (r.body for r in anthropic_server.requests_for("/v1/messages"))
    assert first["max_tokens"] == 4096  # the roster entry's option, always sent
    assert first["system"] and [t["name"] for t in first["tools"]][0] == "read_file"
    assert "input_schema" in first["tools"][0]
    # The tool result goes back as a user-role tool_result block for the same id.
    assistant, results = second["messages"][1], second["messages"][2]
    use = assistant["content"][-1]
    assert use["type"] == "tool_use" and use["input"] == {"file_path": "README.md"}
    assert results["role"] == "user"
    assert results["content"][0]["type"] == "tool_result" and results["content"][0]["tool_use_id"] == use["id"]
    assert "PLUM" in results["content"][0]["content"]
    headers = {k.lower(): v for k, v in anthropic_server.requests_for("/v1/messages")[0].headers.items()}
    # This SDK generation sends the key as a bearer token; older ones used x-api-key.
    sent = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
    assert sent == "sk-ant-test-loopback-key-0000"


async def test_thinking_blocks_replayed_with_signature(anthropic_server, workspace: Path, monkeypatch) -> None:
    config = Path(__import__("os").environ["NANOTUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "roster.toml").write_text(
        '[models.sonnet-thinking]\nspec = "anthropic:claude-sonnet-4-6"\nthinking_budget = 2048\n'
    )
    anthropic_server.script(
        "claude-sonnet-4-6",
        Reply(reasoning="I should read the README.", reasoning_tokens=7,
              calls=[Call("read_file", {"file_path": "README.md"})]),
        Reply(text="PLUM"),
    )
    events: list = []
    run = await run_models(["sonnet-thinking"], workspace=workspace, events=events)
    agent = run.agents[0]
    assert agent.status == "ok", agent.error
    assert agent.usage.reasoning_tokens == 7
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "I should read the README."
    first, second = (r.body for r in anthropic_server.requests_for("/v1/messages"))
    assert first["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert first["max_tokens"] == 8192 and "temperature" not in first
    blocks = second["messages"][1]["content"]
    assert blocks[0] == {"type": "thinking", "thinking": "I should read the README.", "signature": "sig-0-scripted"}
    assert blocks[1]["type"] == "tool_use"


async def test_max_tokens_stop_is_surfaced(anthropic_server) -> None:
    anthropic_server.script(HAIKU, Reply(text="The answer is cut sh", stop="max_tokens"))
    run = await run_models(["anthropic:claude-3-haiku"])
    agent = run.agents[0]
    assert agent.status == "ok" and agent.stop_reason == "max_tokens"


async def test_malformed_tool_json_is_an_error_result_and_replays_as_object(anthropic_server, workspace) -> None:
    anthropic_server.script(
        HAIKU,
        Reply(calls=[Call("read_file", '{"file_path": "READ')]),
        Reply(text="sorry"),
    )
    run = await run_models(["anthropic:claude-3-haiku"], workspace=workspace)
    agent = run.agents[0]
    assert agent.status == "ok", agent.error
    assert agent.tool_calls[0].ok is False
    second = anthropic_server.requests_for("/v1/messages")[1].body
    assert second["messages"][1]["content"][0]["input"] == {}
    result = second["messages"][2]["content"][0]
    assert result["is_error"] is True and "not valid JSON" in result["content"]


async def test_unknown_model_fails_at_once_with_a_clear_message(anthropic_server) -> None:
    anthropic_server.script("claude-nope", Fault(404, "model: claude-nope"))
    run = await run_models(["anthropic:claude-nope"])
    agent = run.agents[0]
    assert agent.status == "error" and agent.retries == 0
    assert "HTTP 404" in agent.error and "unknown model 'claude-nope'" in agent.error


async def test_overloaded_529_is_retried(anthropic_server) -> None:
    anthropic_server.script(HAIKU, Fault(529, "Overloaded"), Reply(text="ok"))
    run = await run_models(["anthropic:claude-3-haiku"])
    agent = run.agents[0]
    assert agent.status == "ok" and agent.retries == 1


async def test_key_never_in_error(anthropic_server, monkeypatch) -> None:
    anthropic_server.script(HAIKU, Fault(401, "invalid x-api-key sk-ant-test-loopback-key-0000"))
    run = await run_models(["anthropic:claude-3-haiku"])
    agent = run.agents[0]
    assert agent.status == "error"
    assert "sk-ant-test" not in agent.error and "ANTHROPIC_API_KEY" in agent.error


def test_max_tokens_and_thinking_budget_checked() -> None:
    def spec(**options) -> ModelSpec:
        return ModelSpec("x", "anthropic", "claude-sonnet-4-6", "x", options=options)

    assert token_limits(spec()) == (8192, None)
    assert token_limits(spec(thinking_budget=16000)) == (20096, 16000)
    assert token_limits(spec(max_tokens=1000)) == (1000, None)
    with pytest.raises(ConfigError, match="thinking_budget .* must be below max_tokens"):
        token_limits(spec(max_tokens=2000, thinking_budget=4000))
    with pytest.raises(ConfigError, match="thinking_budget must be"):
        token_limits(spec(thinking_budget=10))
    with pytest.raises(ConfigError, match="max_tokens must be"):
        token_limits(spec(max_tokens="lots"))


def test_base_url_with_v1_is_trimmed(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/v1/")
    assert base_url_from_env() == "http://127.0.0.1:9"
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    assert base_url_from_env() is None  # left to the SDK
