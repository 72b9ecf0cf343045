"""File tools and workspace copies (issue 14, part A).

1. Tool calls run on the event loop, so each must be quick: the race-free open (one
   ``openat`` per path component) keeps ``read_file`` of a 4-deep path at p95 <= 1 ms, and
   the worst ``edit_file`` answers (no match in a 512 KiB file, with the near-miss search;
   1,000+ overlapping matches) at <= 250 ms.
2. A workspace with a 2 GiB sparse file is copied with its holes: the copy takes at most
   twice the disk space of the original's data, in <= 1 s.

Run: python benchmarks/bench_tools.py
"""

from __future__ import annotations

import os
import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import cpu_name
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.tool_defs import READ_CAP_BYTES
from nanotui.engine.agent.tools import ToolBox

MiB = 1024 * 1024




def tool_calls(ws: Path) -> dict[str, float]:
    deep = ws / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "f.txt").write_text("hello\n" * 100)
    random.seed(7)
    lines, size = [], 0
    while size < READ_CAP_BYTES - 200:
        line = "    " + "".join(random.choice(string.ascii_lowercase + " _()=") for _ in range(random.randint(20, 70)))
        lines.append(line)
        size += len(line) + 1
    (ws / "big.py").write_text("\n".join(lines))
    (ws / "same.txt").write_text("a" * (READ_CAP_BYTES - 1))
    sandbox = Sandbox.create(ws)
    try:
        tools = ToolBox(sandbox)
        reads = []
        for _ in range(5000):
            t0 = time.perf_counter()
            assert tools.call("read_file", {"file_path": "a/b/c/f.txt"}).ok
            reads.append(time.perf_counter() - t0)
        reads.sort()

        def worst(arguments: dict[str, str]) -> float:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                assert not tools.call("edit_file", arguments).ok
                times.append(time.perf_counter() - t0)
            return max(times)

        return {
            "read_file_4_deep_p50_ms": 1000 * statistics.median(reads),
            "read_file_4_deep_p95_ms": 1000 * reads[int(0.95 * len(reads))],
            "edit_no_match_512k_nothing_close_ms": 1000 * worst(
                {"file_path": "big.py", "old_str": "zzzz qqqq xxxx", "new_str": "x"}),
            "edit_no_match_512k_closest_lines_ms": 1000 * worst(
                {"file_path": "big.py", "old_str": lines[5000].strip() + "X", "new_str": "x"}),
            "edit_overlapping_matches_512k_ms": 1000 * worst(
                {"file_path": "same.txt", "old_str": "a" * 2000, "new_str": "x"}),
        }
    finally:
        sandbox.cleanup()


def sparse_copy(ws: Path) -> dict[str, float]:
    img = ws / "disk.img"
    with img.open("wb") as fh:
        fh.truncate(2 * 1024 * MiB)
        for offset in range(0, 2 * 1024 * MiB, 256 * MiB):  # 8 data extents of 1 MiB
            fh.seek(offset)
            fh.write(os.urandom(MiB))
    original = img.stat().st_blocks * 512
    times, copies = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        sandbox = Sandbox.create(ws)
        times.append(time.perf_counter() - t0)
        copies.append((sandbox.root / "disk.img").stat().st_blocks * 512)
        sandbox.cleanup()
    return {
        "sparse_apparent_mib": 2048.0,
        "sparse_original_on_disk_mib": original / MiB,
        "sparse_copy_on_disk_mib": max(copies) / MiB,
        "sparse_copy_s": max(times),
    }


if __name__ == "__main__":
    print("cpu", cpu_name().replace(" ", "_"))
    with tempfile.TemporaryDirectory(prefix="bench-tools-") as tmp:
        (Path(tmp) / "ws1").mkdir()
        (Path(tmp) / "ws2").mkdir()
        t = tool_calls(Path(tmp) / "ws1")
        s = sparse_copy(Path(tmp) / "ws2")
    for name, value in {**t, **s}.items():
        print(name, round(value, 3))
    ok = (
        t["read_file_4_deep_p95_ms"] <= 1.0
        and max(v for k, v in t.items() if k.startswith("edit_")) <= 250
        and s["sparse_copy_on_disk_mib"] <= 2 * s["sparse_original_on_disk_mib"]
        and s["sparse_copy_s"] <= 1.0
    )
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)
