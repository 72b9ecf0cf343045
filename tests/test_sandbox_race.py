"""A process that swaps a workspace folder for an outward symlink while the tools run must
never make a read, write or edit land outside (check-then-open lost this race ~10 % of the
time)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path

import pytest

from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.tools import ToolBox

RENAME_EXCHANGE = 2
TRIES = 3000
SECRET = "TOP SECRET"
OUTSIDE_SIZE = 1234  # a size only the outside file has, to spot it in get_file_info


def _exchanger():
    """renameat2(RENAME_EXCHANGE), an atomic swap of two names, or None where unavailable."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return None
    at_fdcwd = -100

    def exchange(a: Path, b: Path) -> None:
        if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))

    return exchange


def _plain_swap(a: Path, b: Path) -> None:
    # Not atomic: three renames, so there are moments with either name missing too.
    tmp = a.with_name(a.name + ".swap")
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)


@pytest.fixture
def racing(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.txt").write_text(SECRET.ljust(OUTSIDE_SIZE, "."))
    (outside / "outside-only.txt").write_text("x")
    ws = tmp_path / "ws"
    ws.mkdir()
    sandbox = Sandbox.create(ws)
    sub = sandbox.root / "sub"
    sub.mkdir()
    (sub / "f.txt").write_text("inside f")
    link = sandbox.root / "link"
    os.symlink(outside, link)
    stop = threading.Event()
    swaps = [0]
    swap = _exchanger() or _plain_swap

    def swapper() -> None:
        while not stop.is_set():
            try:
                swap(sub, link)
                swaps[0] += 1
            except OSError:
                pass

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    yield ToolBox(sandbox), outside, swaps
    stop.set()
    thread.join()
    sandbox.cleanup()


def _outside_state(outside: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(outside.iterdir())}


def test_swapping_a_folder_for_an_outward_link_never_escapes(racing) -> None:
    tools, outside, swaps = racing
    before = _outside_state(outside)
    escapes = reads = writes = edits = 0
    for i in range(TRIES):
        for name in ("sub", "link"):
            out = tools.call("read_file", {"file_path": f"{name}/f.txt"})
            reads += out.ok
            escapes += SECRET in out.content
            out = tools.call("get_file_info", {"file_path": f"{name}/f.txt"})
            escapes += f'"size_bytes": {OUTSIDE_SIZE}' in out.content
            out = tools.call("write_file", {"file_path": f"{name}/w{i % 7}.txt", "content": "pwned"})
            writes += out.ok
            out = tools.call("edit_file", {"file_path": f"{name}/f.txt", "old_str": "f", "new_str": "f"})
            edits += out.ok
            out = tools.call("list_directory", {"directory_path": name})
            escapes += "outside-only.txt" in out.content
    assert swaps[0] > 100, "the swapper barely ran; the test proves nothing"
    # Some calls won the race to the real folder, so the tools were exercised both ways.
    assert reads and writes and edits
    assert escapes == 0
    assert _outside_state(outside) == before
