"""A damaged, read-only or locked history: one line with what to do, before any agent
starts, from `history`, `show` and `run` alike; the file is never written into."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.errors import ConfigError
from nanotui.engine.history.schema import BUSY_TIMEOUT_S
from nanotui.engine.history.store import RunStore
from tests.stored_runs import agent, run_of, store_run


def _history() -> Path:
    return Path(os.environ["NANOTUI_DATA_DIR"]) / "history.sqlite3"


def _filled_history() -> Path:
    with RunStore(_history()) as store:
        for i in range(30):  # enough rows for several pages
            store_run(store, run_of(agent("a1", answer="x" * 400), run_id=f"2026-r{i:03}"))
    return _history()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


COMMANDS = [
    ["history"],
    ["show", "latest"],
    ["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--no-judge"],
]


@pytest.fixture
def damaged() -> Path:
    path = _filled_history()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[3 * page + 16: 3 * page + 400] = os.urandom(384)  # the inside of a b-tree page
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_damaged_history(damaged: Path, argv: list[str], openai_server, capsys) -> None:
    before = _digest(damaged)
    assert main(argv) == 2
    line = _error_line(capsys)
    assert f"history {damaged}: damaged" in line and "move it aside" in line and ".recover" in line
    assert _digest(damaged) == before  # never written into
    assert openai_server.requests == []  # no agent started


@pytest.fixture
def read_only() -> Iterator[Path]:
    path = _filled_history()
    if os.geteuid() != 0:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        yield path
        path.parent.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        pytest.skip("root, and no chattr +i to make a file read-only")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_read_only_history(read_only: Path, argv: list[str], openai_server, capsys) -> None:
    before = _digest(read_only)
    assert main(argv) == 2
    line = _error_line(capsys)
    assert f"history {read_only}: read-only" in line and "NANOTUI_DATA_DIR" in line
    assert _digest(read_only) == before
    assert openai_server.requests == []


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_locked_history(argv: list[str], openai_server, capsys) -> None:
    path = _filled_history()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program keeps a write transaction open
    try:
        assert main(argv) == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    line = _error_line(capsys)
    assert f"history {path}: locked by another program (waited {BUSY_TIMEOUT_S:g} s)" in line
    assert openai_server.requests == []


def test_the_lock_is_waited_on_for_a_bounded_time() -> None:
    with RunStore(_history()) as store:
        assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_S * 1000
    assert BUSY_TIMEOUT_S <= 2.0


def test_a_sound_history_opens_after_a_damaged_one_is_moved_aside(damaged: Path) -> None:
    with pytest.raises(ConfigError):
        RunStore(damaged)
    damaged.rename(damaged.with_suffix(".broken"))
    for extra in damaged.parent.glob("history.sqlite3-*"):
        extra.unlink()
    with RunStore(damaged) as store:
        assert store.list_runs() == []
