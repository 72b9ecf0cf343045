"""The same faults for every wire protocol, each with a healthy agent in the same run that
must finish untouched: one agent's failure never spills over to another.

Protocols: OpenAI Responses, OpenAI-compatible Chat Completions, Anthropic Messages and
Ollama chat, all through their real SDKs over loopback HTTP.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from nanotui.engine.agent.loop import Limits
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.events import RetryScheduled
from tests.helpers import FAST_RETRY, run_models
from tests.servers.script import Call, Fault, Reply


@dataclass(frozen=True)
class Protocol:
    fixture: str
    faulty: str  # model id the server sees for the failing agent
    healthy: str
    provider: str  # roster "spec" prefix, or "compat" for a base_url entry
    # Ollama hands arguments over as objects (the SDK rejects anything else), so its
    # "malformed" arguments are an object of the wrong shape.
    malformed: dict | str = '{"file_path": "READ'


PROTOCOLS = {
    "openai-responses": Protocol("openai_server", "gpt-5-nano", "gpt-5-mini", "openai"),
    "openai-chat": Protocol("openai_server", "qwen-a", "qwen-b", "compat"),
    "anthropic": Protocol("anthropic_server", "claude-3-haiku-20240307", "claude-opus-4-1", "anthropic"),
    "ollama": Protocol("ollama_server", "gpt-oss:20b", "gpt-oss:120b", "ollama",
                       malformed={"file_path": 42, "path": "README.md"}),
}


def _entry(name: str, proto: Protocol, model: str, server, extra: str) -> str:
    if proto.provider == "compat":
        where = f'provider = "openai"\nmodel = "{model}"\nbase_url = "{server.base_url}"\n'
    else:
        where = f'spec = "{proto.provider}:{model}"\n'
    return f"[models.{name}]\n{where}{extra}\n"


@pytest.fixture(params=list(PROTOCOLS))
def setup(request: pytest.FixtureRequest):
    """(protocol, server, write_roster) with the healthy agent already scripted."""
    proto = PROTOCOLS[request.param]
    server = request.getfixturevalue(proto.fixture)
    server.script(
        proto.healthy,
        Reply(calls=[Call("read_file", {"file_path": "README.md"})]),
        Reply(text="The secret word is PLUM."),
    )

    def write_roster(faulty_extra: str = "") -> None:
        config = Path(os.environ["NANOTUI_CONFIG_DIR"])
        config.mkdir(parents=True, exist_ok=True)
        (config / "roster.toml").write_text(
            _entry("faulty", proto, proto.faulty, server, faulty_extra)
            + _entry("healthy", proto, proto.healthy, server, "")
        )

    write_roster()
    return proto, server, write_roster


async def _run(workspace: Path, **kwargs):
    events: list = []
    run = await run_models(["faulty", "healthy"], workspace=workspace, events=events, **kwargs)
    faulty, healthy = run.agents
    assert healthy.status == "ok", healthy.error
    assert healthy.final_answer == "The secret word is PLUM." and healthy.retries == 0
    return faulty, events


async def test_429_then_ok_honours_retry_after(setup, workspace: Path) -> None:
    proto, server, _ = setup
    server.script(proto.faulty, Fault(429, "slow down", retry_after=0.3), Reply(text="fine"))
    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=1.0, max_total_wait_s=5.0)
    faulty, events = await _run(workspace, retry=policy)
    assert faulty.status == "ok", faulty.error
    assert faulty.final_answer == "fine"
    assert faulty.retries == 1
    assert faulty.retry_wait_s == pytest.approx(0.3)  # Retry-After, not the 0.01 s backoff
    assert faulty.working_s <= faulty.wall_s - 0.29
    retry = [e for e in events if isinstance(e, RetryScheduled)]
    assert len(retry) == 1 and retry[0].agent_id == "a1" and "429" in retry[0].reason


async def test_persistent_500_gives_up_after_bounded_tries(setup, workspace: Path) -> None:
    proto, server, _ = setup
    server.always(proto.faulty, Fault(500, "upstream exploded"))
    faulty, _ = await _run(workspace)
    assert faulty.status == "error"
    assert "500" in faulty.error and "upstream exploded" in faulty.error
    assert faulty.retries == FAST_RETRY.max_attempts - 1
    assert len(server.requests_for(_path(proto))) - 2 == FAST_RETRY.max_attempts  # healthy made 2


async def test_disconnect_mid_stream_is_an_error_not_a_hang(setup, workspace: Path) -> None:
    proto, server, _ = setup
    server.script(proto.faulty, Fault(disconnect_mid_stream=True))
    started = time.monotonic()
    faulty, _ = await _run(workspace)
    assert faulty.status == "error"
    assert "before the response completed" in faulty.error
    # Text was already shown: the turn is not silently re-run.
    assert faulty.retries == 0
    assert time.monotonic() - started < 10


async def test_malformed_tool_arguments_reach_the_model_as_an_error(setup, workspace: Path) -> None:
    proto, server, _ = setup
    server.script(proto.faulty, Reply(calls=[Call("read_file", proto.malformed)]), Reply(text="recovered"))
    faulty, _ = await _run(workspace)
    assert faulty.status == "ok", faulty.error
    assert faulty.turns == 2 and faulty.final_answer == "recovered"
    assert len(faulty.tool_calls) == 1 and faulty.tool_calls[0].ok is False
    assert faulty.tool_calls[0].result_preview.startswith("Error:")


async def test_401_fails_at_once(setup, workspace: Path) -> None:
    proto, server, _ = setup
    server.always(proto.faulty, Fault(401, "invalid api key"))
    faulty, _ = await _run(workspace)
    assert faulty.status == "error"
    assert "401" in faulty.error and "invalid api key" in faulty.error
    assert faulty.retries == 0
    assert len(server.requests_for(_path(proto))) == 3  # one for the faulty agent, two healthy


async def test_a_response_that_never_ends_times_out_promptly(setup, workspace: Path) -> None:
    proto, server, write_roster = setup
    write_roster("timeout = 0.3")  # the per-request timeout of the faulty entry only
    server.always(proto.faulty, Fault(hang=True, hang_s=20))
    started = time.monotonic()
    faulty, _ = await _run(workspace, limits=Limits(max_turns=6, timeout_s=15))
    elapsed = time.monotonic() - started
    assert faulty.status in ("error", "timeout")
    assert "timed out" in faulty.error
    assert elapsed < 8  # far below both the 20 s hang and the 15 s agent limit


def _path(proto: Protocol) -> str:
    return {
        "openai": "/responses",
        "compat": "/chat/completions",
        "anthropic": "/v1/messages",
        "ollama": "/api/chat",
    }[proto.provider]
