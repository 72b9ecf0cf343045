"""The on-device runtime in its own process: it streams back, runs at the lowest priority
on all cores but one, stops a cancelled step, reports a load failure in one line, and goes
away with nanotui. The runtime itself is scripted (tests/local_backends.py)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from nanotui.engine.agent.loop import Agent, AgentTask, Limits
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.errors import ConfigError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.local.llama import LocalLlamaProvider
from nanotui.providers.local.runtime_process import ChildBackend, available_cores, runtime_threads

SPEC = ModelSpec("local:test", "local", "test", "test")
READ = json.dumps({"action": "read_file", "file_path": "README.md"})
FINAL = json.dumps({"action": "final_answer", "notes": "n", "answer": "The secret word is PLUM."})


def child(log: Path, *actions: str, delay_s: float = 0.0) -> ChildBackend:
    return ChildBackend("tests.local_backends:LoggedBackend", (str(log), list(actions), delay_s), runtime_threads())


async def run(provider: LocalLlamaProvider, workspace: Path, timeout_s: float = 20):
    sandbox = Sandbox.create(workspace)
    try:
        agent = Agent("a1", SPEC, provider, AgentTask("What is the secret word?", workspace), sandbox,
                      limits=Limits(max_turns=4, timeout_s=timeout_s))
        return await agent.run()
    finally:
        sandbox.cleanup()


async def test_an_agent_runs_on_the_runtime_in_a_child_process(workspace: Path, tmp_path: Path) -> None:
    log = tmp_path / "log"
    backend = await asyncio.to_thread(child, log, READ, FINAL)
    try:
        result = await run(LocalLlamaProvider(SPEC, backend=backend), workspace)
        assert result.status == "ok", result.error
        assert result.final_answer == "The secret word is PLUM." and result.turns == 2
        assert [t.name for t in result.tool_calls] == ["read_file"]
        lines = log.read_text().splitlines()
        loaded = dict(kv.split("=") for kv in lines[0].split()[1:])
        assert int(loaded["pid"]) != os.getpid()  # not in nanotui's process
        assert int(loaded["nice"]) == 19  # the lowest priority: nanotui's event loop comes first
        assert int(loaded["cores"]) == max(1, len(available_cores()) - 1)  # one core left to nanotui
        assert lines[1:] == ["start messages=2", "finished", "start messages=4", "finished"]
    finally:
        backend.close()


async def test_a_cancelled_step_stops_in_the_child_and_the_runtime_stays_usable(workspace: Path,
                                                                              tmp_path: Path) -> None:
    log = tmp_path / "log"
    endless = json.dumps({"action": "final_answer", "notes": "x" * 4000, "answer": "late"})
    backend = await asyncio.to_thread(child, log, endless, FINAL, delay_s=0.01)  # ~10 s of streaming
    try:
        task = asyncio.create_task(run(LocalLlamaProvider(SPEC, backend=backend), workspace))
        while "start" not in log.read_text():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        task.cancel()
        result = await task
        assert result.status == "cancelled"
        deadline = time.monotonic() + 3
        while "stopped" not in log.read_text() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert log.read_text().splitlines()[-1] == "stopped"  # generation ended at the next token
        again = await run(LocalLlamaProvider(SPEC, backend=backend), workspace)
        assert again.status == "ok" and again.final_answer == "The secret word is PLUM."
    finally:
        backend.close()
    assert not backend.process.is_alive()


def test_a_model_that_cannot_load_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        ChildBackend("tests.local_backends:BrokenBackend", (str(tmp_path / "m.gguf"),), 1)
    assert str(err.value) == f"{tmp_path / 'm.gguf'}: llama.cpp could not load this model (bad magic)"


def test_the_runtime_exits_when_nanotui_goes_away(tmp_path: Path) -> None:
    backend = child(tmp_path / "log", FINAL)
    backend._conn.close()  # what the operating system does when nanotui dies
    backend.process.join(5)
    assert not backend.process.is_alive() and backend.process.exitcode == 0
