"""ctrl+c and kill -9 in the middle of a run: what finished stays in history, the run is
marked interrupted (at once, or on the next open), and the database is intact."""

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
from nanotui.engine.events import TextDelta
from nanotui.engine.history.reader import UNFINISHED_ERROR
from nanotui.engine.history.store import RunStore
from tests.servers.script import Reply

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")

SLOW_TEXT = "still thinking about it " * 40  # 960 characters at 20 per second: ~48 s


def start_run(openai_server) -> subprocess.Popen:
    openai_server.script("gpt-5-mini", Reply(text="The secret word is PLUM."))
    openai_server.script("gpt-5-nano", Reply(text=SLOW_TEXT, text_chunks=len(SLOW_TEXT), chunk_delay_s=0.05))
    return subprocess.Popen(
        [sys.executable, "-m", "nanotui", "run", "--prompt", "What is the secret word?",
         "-m", "openai:gpt-5-mini", "-m", "openai:gpt-5-nano", "--no-judge"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def history_path() -> Path:
    return Path(os.environ["NANOTUI_DATA_DIR"]) / "history.sqlite3"


def wait_until_mid_run(proc: subprocess.Popen, deadline_s: float = 40.0) -> str:
    """Block until a1 is committed and a2 has streamed text into history; the run id."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"nanotui run ended early ({proc.returncode}): {proc.stderr.read()}")
        if history_path().exists():
            db = sqlite3.connect(history_path(), timeout=5)
            try:
                row = db.execute(
                    "SELECT r.run_id FROM runs r JOIN agents a ON a.run_id = r.run_id"
                    " WHERE a.agent_id = 'a1' AND a.result IS NOT NULL"
                    " AND EXISTS (SELECT 1 FROM events e WHERE e.run_id = r.run_id AND e.agent_id = 'a2'"
                    "             AND e.kind = 'text_delta')"
                ).fetchone()
            except sqlite3.OperationalError:  # schema not created yet
                row = None
            finally:
                db.close()
            if row:
                return row[0]
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the run never reached the middle")


def history_json(capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["history", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def check_kept(run_id: str) -> None:
    with RunStore() as store:
        assert store.integrity_check() == "ok"
        run = store.load_run(run_id)
        a1, a2 = run.agents
        assert run.interrupted and a1.status == "ok" and a1.final_answer == "The secret word is PLUM."
        assert a2.status == "cancelled"
        partial = "".join(e.text for e in store.events(run_id, "a2") if isinstance(e, TextDelta))
        assert partial and SLOW_TEXT.startswith(partial)  # the pane replays up to where it stopped
    db = sqlite3.connect(history_path())
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_sigint_keeps_finished_agents(openai_server, capsys) -> None:
    proc = start_run(openai_server)
    run_id = wait_until_mid_run(proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    (entry,) = history_json(capsys)
    assert entry["run_id"] == run_id and entry["status"] == "interrupted" and entry["interrupted"]
    assert (entry["agents_finished"], entry["agents_total"]) == (1, 2)
    check_kept(run_id)
    with RunStore() as store:
        assert store.load_run(run_id).agents[1].error == "cancelled"  # cancelled by ctrl+c, and recorded


def test_sigkill_is_found_interrupted_on_next_open(openai_server, capsys) -> None:
    proc = start_run(openai_server)
    run_id = wait_until_mid_run(proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(history_path())
    assert db.execute("SELECT status FROM runs").fetchone()[0] == "running"  # nobody could say otherwise
    db.close()
    (entry,) = history_json(capsys)
    assert entry["run_id"] == run_id and entry["status"] == "interrupted"
    assert (entry["agents_finished"], entry["agents_total"]) == (1, 2)
    check_kept(run_id)
    with RunStore() as store:
        assert store.load_run(run_id).agents[1].error == UNFINISHED_ERROR
    capsys.readouterr()
    assert main(["show", run_id[:18]]) == 0
    assert "interrupted" in capsys.readouterr().out
