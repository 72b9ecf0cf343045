"""Preflight of roster entries: each state, its fix, and isolation between entries."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers import readiness as rd
from nanotui.providers.readiness import check_all


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A port that accepts connections and never answers: the worst kind of dead server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def _by_name(results):
    return {r.name: r for r in results}


def _user_roster(text: str) -> None:
    config = Path(os.environ["NANOTUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "roster.toml").write_text(text)


async def test_default_roster_with_nothing_set_up(monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{_closed_port()}")
    roster = load_roster()
    results = _by_name(await check_all(list(roster.entries.values())))
    assert set(results) == set(roster.entries)
    for name in ("gpt-5", "gpt-5-mini", "gpt-5-nano"):
        r = results[name]
        assert (r.ready, r.state, r.detail) == (False, rd.MISSING_KEY, "OPENAI_API_KEY is not set")
        assert "OPENAI_API_KEY" in r.action
    for name in ("claude-opus-4-1", "claude-opus-4", "claude-sonnet-4-6", "claude-3-haiku"):
        assert results[name].state == rd.MISSING_KEY and "ANTHROPIC_API_KEY" in results[name].detail
    for name in ("gpt-oss-20b", "gpt-oss-120b"):
        r = results[name]
        assert r.state == rd.NOT_REACHABLE and not r.ready
        assert os.environ["OLLAMA_HOST"] in r.detail and "ollama serve" in r.action
        assert (r.price_in, r.price_out) == (0.0, 0.0)
    # Prices are known without any key: $/Mtok from genai-prices.
    assert (results["claude-3-haiku"].price_in, results["claude-3-haiku"].price_out) == (0.25, 1.25)
    # Every entry that cannot run says what to do.
    assert all(r.action for r in results.values() if not r.ready)


async def test_keys_present_means_ready_without_calling_the_api(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000")
    # Base URLs at a dead port: a real request would fail, so "ready" proves none is made.
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    specs = [load_roster().resolve(s) for s in ("gpt-5-mini", "claude-3-haiku")]
    results = await check_all(specs)
    assert [(r.ready, r.state) for r in results] == [(True, rd.READY), (True, rd.READY)]
    assert all("sk-" not in r.detail for r in results)


async def test_ollama_states(ollama_server) -> None:
    ollama_server.models.update({"llama3:latest": ["completion", "tools"], "gemma2:2b": ["completion"]})
    specs = [
        ModelSpec("oss", "ollama", "gpt-oss:20b", "oss"),
        ModelSpec("missing", "ollama", "qwen3:32b", "missing"),
        ModelSpec("notools", "ollama", "gemma2:2b", "notools"),
        ModelSpec("untagged", "ollama", "llama3", "untagged"),
    ]
    results = _by_name(await check_all(specs))
    assert results["oss"].ready and results["oss"].state == rd.READY
    assert results["missing"].state == rd.NOT_PULLED and results["missing"].action == "`ollama pull qwen3:32b`"
    assert results["notools"].state == rd.NO_TOOLS and not results["notools"].ready
    assert results["untagged"].ready  # "llama3" is "llama3:latest"
    # One listing for the host, shared by all four entries.
    assert len(ollama_server.requests_for("/api/tags")) == 1


async def test_a_silent_ollama_is_bounded_and_blocks_no_one(monkeypatch, silent_host: str) -> None:
    monkeypatch.setenv("OLLAMA_HOST", silent_host)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    specs = [
        ModelSpec("a", "ollama", "gpt-oss:20b", "a"),
        ModelSpec("b", "ollama", "gpt-oss:120b", "b"),
        load_roster().resolve("gpt-5-nano"),
    ]
    results = _by_name(await check_all(specs, timeout_s=0.3))
    assert results["a"].state == rd.NOT_REACHABLE and "no answer" in results["a"].detail
    assert results["b"].state == rd.NOT_REACHABLE
    assert results["gpt-5-nano"].ready


async def test_price_unknown_is_a_warning_not_a_blocker(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    results = await check_all([ModelSpec("x", "openai", "gpt-from-the-future", "x")])
    r = results[0]
    assert r.ready and r.state == rd.PRICE_UNKNOWN
    assert (r.price_in, r.price_out) == (None, None)
    assert "price_as" in r.action


async def test_openai_compatible_endpoint(openai_server, monkeypatch) -> None:
    _user_roster(
        f'[models.lan]\nprovider = "openai"\nmodel = "qwen-coder"\nbase_url = "{openai_server.base_url}"\n'
        'api_key_env = "LAN_KEY"\nprice_as = "openai:gpt-5-mini"\n'
        f'[models.down]\nprovider = "openai"\nmodel = "m"\nbase_url = "http://127.0.0.1:{_closed_port()}/v1"\n'
        f'[models.nokey]\nprovider = "openai"\nmodel = "m"\nbase_url = "{openai_server.base_url}"\n'
        'api_key_env = "UNSET_KEY"\n'
    )
    monkeypatch.setenv("LAN_KEY", "lan-secret-1234")
    roster = load_roster()
    results = _by_name(await check_all([roster.entries[n] for n in ("lan", "down", "nokey")]))
    assert results["lan"].state == rd.READY and results["lan"].price_in == 0.25  # priced as gpt-5-mini
    assert results["down"].state == rd.NOT_REACHABLE and "base_url" in results["down"].action
    assert results["nokey"].state == rd.MISSING_KEY and results["nokey"].detail == "UNSET_KEY is not set"
    probe = openai_server.requests_for("/v1/models")
    assert len(probe) == 1
    assert {k.lower(): v for k, v in probe[0].headers.items()}["authorization"] == "Bearer lan-secret-1234"


async def test_endpoint_that_refuses_the_key(openai_server, monkeypatch) -> None:
    from tests.servers.script import Fault

    openai_server.script("", Fault(401, "bad key"))  # GET /models carries no model name
    monkeypatch.setenv("LAN_KEY", "wrong")
    spec = ModelSpec("lan", "openai-compat", "m", "lan", base_url=openai_server.base_url, api_key_env="LAN_KEY")
    r = (await check_all([spec]))[0]
    assert r.state == rd.KEY_REJECTED and "LAN_KEY" in r.action


async def test_bad_option_is_reported_per_entry(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000")
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{_closed_port()}")
    specs = [
        ModelSpec("think", "ollama", "gpt-oss:20b", "think", options={"think": "max"}),
        ModelSpec("budget", "anthropic", "claude-opus-4-1", "budget",
                  options={"max_tokens": 2000, "thinking_budget": 4000}),
        ModelSpec("fine", "anthropic", "claude-opus-4-1", "fine"),
    ]
    results = _by_name(await check_all(specs))
    assert results["think"].state == rd.BAD_OPTION and "think must be one of" in results["think"].detail
    assert results["budget"].state == rd.BAD_OPTION and "below max_tokens" in results["budget"].detail
    assert results["fine"].ready


async def test_local_model_asks_its_provider(monkeypatch) -> None:
    local = pytest.importorskip("nanotui.providers.local.llama")
    spec = ModelSpec("q", "local", "qwen2.5-coder-1.5b", "q")
    monkeypatch.setattr(local, "readiness",
                        lambda s: (False, "the xllamacpp runtime is not installed", 'pip install "nanotui[local]"'))
    r = (await check_all([spec]))[0]
    assert (r.ready, r.state) == (False, rd.NOT_SET_UP)
    assert r.action == 'pip install "nanotui[local]"' and r.price_in == 0.0
    monkeypatch.setattr(local, "readiness", lambda s: (True, "verified model", None))
    r = (await check_all([spec]))[0]
    assert (r.ready, r.state, r.detail) == (True, rd.READY, "verified model")


async def test_a_crashing_check_is_contained(monkeypatch) -> None:
    local = pytest.importorskip("nanotui.providers.local.llama")

    def boom(spec):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(local, "readiness", boom)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    results = await check_all([ModelSpec("q", "local", "x", "q"), load_roster().resolve("gpt-5")])
    assert results[0].state == rd.CHECK_FAILED and "disk on fire" in results[0].detail
    assert results[1].ready
