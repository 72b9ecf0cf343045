"""One ``nanotui run`` with Anthropic, Ollama and OpenAI side by side, each through its own
SDK against its own loopback server: all read a file and answer; usage is normalised the
same way; costs come from genai-prices (Ollama is free), with Ollama's timings kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from genai_prices import Usage as GUsage
from genai_prices import calc_price

from nanotui.cli import main
from tests.servers.script import Call, Reply

READ = Call("read_file", {"file_path": "README.md"})
ANSWER = "The secret word is PLUM."


def _price(model: str, provider: str, **usage: int) -> float:
    return float(calc_price(GUsage(**usage), model, provider_id=provider).total_price)


def test_anthropic_ollama_openai_in_one_run(
    anthropic_server, ollama_server, openai_server, workspace: Path, tmp_path: Path, capsys
) -> None:
    anthropic_server.script(
        "claude-3-haiku-20240307",
        Reply(calls=[READ], input_tokens=1500, cache_write_tokens=1200, output_tokens=40),
        Reply(text=ANSWER, input_tokens=1620, cached_tokens=1200, output_tokens=15),
    )
    ollama_server.script(
        "gpt-oss:20b",
        Reply(reasoning="Read it.", calls=[READ], input_tokens=800, output_tokens=30,
              load_duration_ns=3_200_000_000, eval_duration_ns=1_500_000_000, prompt_eval_duration_ns=400_000_000),
        Reply(text=ANSWER, input_tokens=900, output_tokens=20,
              load_duration_ns=10_000_000, eval_duration_ns=800_000_000, prompt_eval_duration_ns=300_000_000),
    )
    openai_server.script(
        "gpt-5-nano",
        Reply(calls=[READ], input_tokens=700, output_tokens=60, reasoning_tokens=40),
        Reply(text=ANSWER, input_tokens=800, cached_tokens=640, output_tokens=25),
    )
    out = tmp_path / "out.json"
    code = main([
        "run", "--prompt", "What is the secret word in README.md?", "--workspace", str(workspace),
        "--model", "anthropic:claude-3-haiku", "--model", "ollama:gpt-oss:20b", "--model", "openai:gpt-5-nano",
        "--json", str(out), "--no-judge",
    ])
    assert code == 0
    agents = {a["model"]: a for a in json.loads(out.read_text())["agents"]}
    assert list(agents) == ["anthropic:claude-3-haiku-20240307", "ollama:gpt-oss:20b", "openai:gpt-5-nano"]
    for a in agents.values():
        assert a["status"] == "ok", a["error"]
        assert [(t["name"], t["ok"]) for t in a["tool_calls"]] == [("read_file", True)]
        assert a["final_answer"] == ANSWER and a["turns"] == 2

    claude = agents["anthropic:claude-3-haiku-20240307"]
    assert claude["usage"] == {"input_tokens": 3120, "cached_input_tokens": 1200, "cache_write_tokens": 1200,
                               "output_tokens": 55, "reasoning_tokens": 0}
    assert claude["cost_usd"] == pytest.approx(_price(
        "claude-3-haiku-20240307", "anthropic",
        input_tokens=3120, cache_read_tokens=1200, cache_write_tokens=1200, output_tokens=55))

    oss = agents["ollama:gpt-oss:20b"]
    assert oss["cost_usd"] == 0.0
    assert oss["usage"]["input_tokens"] == 1700 and oss["usage"]["output_tokens"] == 50
    assert oss["metrics"]["load_s"] == pytest.approx(3.21)  # load time, apart from wall time
    assert oss["metrics"]["gen_tokens_per_s"] == pytest.approx(25.0)  # 20 tokens / 0.8 s
    assert oss["metrics"]["prompt_tokens_per_s"] == pytest.approx(3000.0)

    nano = agents["openai:gpt-5-nano"]
    assert nano["usage"] == {"input_tokens": 1500, "cached_input_tokens": 640, "cache_write_tokens": 0,
                             "output_tokens": 85, "reasoning_tokens": 40}
    assert nano["cost_usd"] == pytest.approx(_price(
        "gpt-5-nano", "openai", input_tokens=1500, cache_read_tokens=640, output_tokens=85))

    table = capsys.readouterr().out
    for model in agents:
        assert model in table
