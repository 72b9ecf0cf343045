"""Suites: several tasks on several models in one run, the leaderboard with intervals, the
suite report, default models, and resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.verdict.leaderboard import bootstrap_ci
from tests.servers.script import Reply

T1 = """+++
id = "say-plum"
title = "Say the word"
[[checks]]
type = "exact"
value = "PLUM"
+++
Reply with the word PLUM and nothing else.
"""
T2 = """# a task in the TOML spelling
id = "name-the-fruit"
title = "Name the fruit"
prompt = "Which fruit is purple and starts with P? Answer in a sentence."
checks = [{ type = "contains", value = "PLUM" }, { type = "regex", pattern = "(?i)plum" }]
"""
MODELS = ["openai:gpt-5", "openai:gpt-5-mini", "openai:gpt-5-nano"]


@pytest.fixture
def two_tasks(isolated_cwd: Path) -> Path:
    folder = isolated_cwd / "tasks"
    folder.mkdir()
    (folder / "say-plum.md").write_text(T1)
    (folder / "name-the-fruit.toml").write_text(T2)
    return isolated_cwd


def models_args() -> list[str]:
    return [x for m in MODELS for x in ("-m", m)]


def test_two_tasks_three_models_two_trials(openai_server, two_tasks: Path, capsys) -> None:
    openai_server.always("gpt-5", Reply(text="PLUM"))
    openai_server.always("gpt-5-mini", Reply(text="It is a PLUM, I think."))  # fails the exact check
    openai_server.always("gpt-5-nano", Reply(text="no idea"))  # fails everything
    out, report = two_tasks / "s.json", two_tasks / "s.md"
    code = main(["run", "say-plum", "name-the-fruit", *models_args(), "--trials", "2", "--no-judge",
                 "--json", str(out), "--report", str(report)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["status"] == "finished" and data["tasks"] == ["say-plum", "name-the-fruit"]
    assert data["models"] == MODELS
    assert len(data["runs"]) == 2 and sum(len(r["agents"]) for r in data["runs"]) == 12
    assert len({r["run_id"] for r in data["runs"]}) == 2
    board = data["leaderboard"]
    assert [row["model"] for row in board] == MODELS and [row["rank"] for row in board] == [1, 2, 3]
    for row in board:
        lo, hi = row["ci95"]
        assert lo <= row["mean_points"] <= hi and row["attempts"] == 4
        assert set(row["pass_k"]) == {"1", "2"}
    assert board[0]["mean_points"] == 4.0 and board[0]["passed"] == 4  # A everywhere (checks only)
    assert board[2]["mean_points"] == 0.0 and board[2]["grades_by_task"] == {"say-plum": "F", "name-the-fruit": "F"}
    assert board[1]["grades_by_task"] == {"say-plum": "F", "name-the-fruit": "A"}
    assert isinstance(data["clear_winner"], bool)
    text = report.read_text()
    assert "## Leaderboard" in text and "## Models × tasks" in text and "quadrantChart" in text
    assert "](#task-say-plum)" in text and '<a id="task-name-the-fruit"></a>' in text
    capsys.readouterr()
    assert main(["history"]) == 0
    assert data["suite_id"] in capsys.readouterr().out


def test_an_unknown_task_or_suite_is_one_line(two_tasks: Path, capsys) -> None:
    assert main(["run", "say-plum", "say-plumm", "-m", "openai:gpt-5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "say-plumm" in err[0]
    assert main(["run", "--suite", "nope", "-m", "openai:gpt-5"]) == 2
    assert "--suite 'nope': no suite has this name" in capsys.readouterr().err
    (two_tasks / "tasks" / "bad.suite.toml").write_text('tasks = "some"\n')
    assert main(["run", "--suite", "bad", "-m", "openai:gpt-5"]) == 2
    assert "bad.suite.toml: tasks: expected a non-empty array" in capsys.readouterr().err
    assert main(["run", "--resume", "s-nothing"]) == 2
    assert "--resume 's-nothing': no stored suite has this id" in capsys.readouterr().err


def test_the_ladder_suite_names_every_built_in_task() -> None:
    from nanotui.engine.run.suite import load_suite
    from nanotui.engine.tasks.library import load_library

    ladder = load_suite("ladder")
    builtin = [t.id for t in load_library().tasks if t.origin == "builtin"]
    assert sorted(ladder.tasks) == sorted(builtin) and len(builtin) >= 11


def test_no_model_runs_every_ready_one_and_names_the_rest(openai_server, two_tasks: Path, capsys,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from nanotui.providers.local import llama

    monkeypatch.setattr(llama, "runtime_installed", lambda: False)  # as without the [local] extra
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:1")
    for m in ("gpt-5", "gpt-5-mini", "gpt-5-nano"):
        openai_server.always(m, Reply(text="PLUM"))
    out = two_tasks / "out.json"
    assert main(["run", "say-plum", "--no-judge", "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert "running every ready model (gpt-5, gpt-5-mini, gpt-5-nano" in err
    assert "left out:" in err and "claude-opus-4-1 (missing key: ANTHROPIC_API_KEY is not set)" in err
    assert "qwen2-5-coder-1-5b (not set up" in err
    assert {a["model"] for a in json.loads(out.read_text())["agents"]} >= set(MODELS)


def test_bootstrap_is_seeded_and_holds_the_mean() -> None:
    values = [5.0, 4.0, 0.0, 5.0, 3.0]
    first = bootstrap_ci(values, "s-1:m")
    assert first == bootstrap_ci(values, "s-1:m") and first[0] <= sum(values) / 5 <= first[1]
    assert bootstrap_ci([4.0], "x") == (4.0, 4.0)


SLOW = "thinking " * 200


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_kill_9_then_resume_runs_only_what_had_not_finished(openai_server, two_tasks: Path) -> None:
    # Each model answers its first request at once and hangs on its second, so when the process
    # is killed some agents have finished and some have not (the tasks run at once).
    for m in ("gpt-5", "gpt-5-mini"):
        openai_server.script(m, Reply(text="PLUM"), Reply(text=SLOW, text_chunks=200, chunk_delay_s=0.5))
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanotui", "run", "say-plum", "name-the-fruit", "-m", "openai:gpt-5",
         "-m", "openai:gpt-5-mini", "--no-judge"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    history = Path(os.environ["NANOTUI_DATA_DIR"]) / "history.sqlite3"
    deadline = time.monotonic() + 60
    finished: dict[tuple[str, str], str] = {}
    while True:  # two agents committed, two streaming
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the suite never got half-way"
        if history.exists():
            db = sqlite3.connect(history, timeout=5)
            try:
                done = db.execute("SELECT run_id, agent_id, result FROM agents WHERE result IS NOT NULL").fetchall()
                streaming = db.execute("SELECT COUNT(DISTINCT run_id || agent_id) FROM events"
                                       " WHERE kind = 'text_delta'").fetchone()[0]
            except sqlite3.OperationalError:
                done, streaming = [], 0
            finally:
                db.close()
            if len(done) == 2 and streaming >= 4:
                finished = {(r, a): json.loads(res)["final_answer"] for r, a, res in done}
                break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    asked_before = len(openai_server.requests_for("/responses"))
    for m in ("gpt-5", "gpt-5-mini"):
        openai_server.script(m, Reply(text="A plum, of course: PLUM."))
    out = two_tasks / "r.json"
    assert main(["run", "--resume", "latest", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["status"] == "finished"
    assert [a["status"] for run in data["runs"] for a in run["agents"]] == ["ok"] * 4
    # Only the two agents without a result were asked again; the two that had finished kept
    # what they answered before the kill.
    assert len(openai_server.requests_for("/responses")) == asked_before + 2
    answers = {(run["run_id"], a["agent_id"]): a["final_answer"] for run in data["runs"] for a in run["agents"]}
    assert all(answers[key] == answer for key, answer in finished.items())
