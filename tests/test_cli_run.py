"""`nanotui run` end to end against the scripted OpenAI loopback server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nanotui.cli import main
from tests.servers.script import Call, Fault, Reply


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_prompt_run_reads_in_a_copy_and_writes_json(openai_server, workspace: Path, tmp_path: Path, capsys) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(calls=[Call("read_file", {"file_path": "README.md"})]),
        Reply(calls=[Call("write_file", {"file_path": "notes/answer.txt", "content": "PLUM"})]),
        Reply(text="The secret word is PLUM."),
    )
    before = tree(workspace)
    out = tmp_path / "out.json"
    code = main(["run", "--prompt", "What is the secret word?", "--workspace", str(workspace),
                 "--model", "openai:gpt-5-mini", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    agent = data["agents"][0]
    assert data["task"] == {"id": None, "prompt": "What is the secret word?", "title": None}
    assert agent["model"] == "openai:gpt-5-mini" and agent["status"] == "ok" and agent["error"] is None
    assert agent["final_answer"] == "The secret word is PLUM."
    assert [(t["name"], t["ok"]) for t in agent["tool_calls"]] == [("read_file", True), ("write_file", True)]
    assert agent["tool_calls"][0]["arguments"] == {"file_path": "README.md"}
    assert agent["files_changed"] == ["notes/answer.txt"]
    assert set(agent["usage"]) == {"input_tokens", "cached_input_tokens", "cache_write_tokens",
                                   "output_tokens", "reasoning_tokens"}
    assert agent["turns"] == 3 and agent["wall_s"] > 0 and agent["ttft_s"] is not None
    assert isinstance(agent["cost_usd"], float)
    assert tree(workspace) == before  # the original is untouched
    table = capsys.readouterr().out
    assert "openai:gpt-5-mini" in table and "ok" in table


def test_failed_agent_still_exits_zero(openai_server, tmp_path: Path) -> None:
    openai_server.always("gpt-5-nano", Fault(500, "boom", retry_after=0))
    openai_server.script("gpt-5-mini", Reply(text="fine"))
    out = tmp_path / "out.json"
    code = main(["run", "--prompt", "hi", "-m", "openai:gpt-5-nano", "-m", "openai:gpt-5-mini",
                 "--json", str(out), "--timeout", "20"])
    assert code == 0
    agents = {a["model"]: a for a in json.loads(out.read_text())["agents"]}
    assert agents["openai:gpt-5-nano"]["status"] == "error" and "500" in agents["openai:gpt-5-nano"]["error"]
    assert agents["openai:gpt-5-mini"]["status"] == "ok"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "nanotui", *args], capture_output=True, text=True,
                          env=full_env, timeout=60)


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["run", "--prompt", "hi", "-m", "openai:gpt-5-mini"], {},
         "OPENAI_API_KEY is not set — needed by openai:gpt-5-mini"),
        (["run", "--prompt", "hi", "-m", "nope:model"], {}, "unknown provider 'nope'"),
        (["run", "--prompt", "hi", "-m", "gpt5"], {}, "expected PROVIDER:MODEL"),
        (["run", "--resume", "latest", "-m", "openai:gpt-5"], {}, "--resume takes the tasks and models of the stored suite"),
        (["run", "-m", "openai:gpt-5"], {"OPENAI_API_KEY": "sk-x"}, "TASK: nothing to run; expected a task id"),
        (["run", "--prompt", "hi", "-m", "openai:gpt-5", "--workspace", "/no/such/dir"],
         {"OPENAI_API_KEY": "sk-x"}, "--workspace '/no/such/dir': no such directory"),
        (["run", "--prompt", "hi", "-m", "openai:gpt-5", "--max-turns", "0"], {}, "--max-turns expects a number of at least 1"),
        (["run", "--prompt", "hi", "-m", "openai:gpt-5", "--timeout", "soon"], {}, "--timeout expects a number"),
        (["run", "--prompt", "hi", "-m", "openai:gpt-5", "--json", "/proc/no-such-dir/out.json"],
         {"OPENAI_API_KEY": "sk-x"}, "--json /proc/no-such-dir/out.json: cannot create folder /proc/no-such-dir"),
        (["run", "--bogus"], {}, "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_gives_one_line_and_nonzero_exit(args, env, expected) -> None:
    proc = _cli(*args, env=env)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr


def test_unreadable_workspace(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read anything")
    ws = tmp_path / "locked"
    ws.mkdir(mode=0)
    proc = _cli("run", "--prompt", "hi", "-m", "openai:gpt-5", "--workspace", str(ws), env={"OPENAI_API_KEY": "k"})
    assert proc.returncode != 0 and "not readable" in proc.stderr
