"""The timeline screen with a big run: 16 agents of 40 turns each (about 280 segments per
agent, tool runs a few milliseconds long) at 160x48.

1. Drawing the whole chart (every row, the axis, the legend: after a resize or a theme
   change) takes p95 <= 50 ms.
2. A key (left/right/up/down) costs p50 <= 50 ms more than a key bound to nothing, from the
   press to the screen settled again (detail line and time shares updated, the chart's
   changed rows redrawn and composited). Pilot's own cost per key (the unbound key) is
   printed too: on a loaded machine it is most of what a press takes.

Run: python benchmarks/bench_timeline.py [--agents 16] [--turns 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import cpu_name
from nanotui.engine.results import AgentResult, RunResult, TaskRef, TimelineSegment, ToolCallRecord


def big_run(agents: int, turns: int) -> RunResult:
    out = []
    for i in range(agents):
        t, segments, calls = 0.0, [TimelineSegment("queued", 0.0, 0.2 * i)], []
        t = 0.2 * i
        for turn in range(1, turns + 1):
            for kind, length in (("waiting", 0.8 + 0.01 * i), ("reasoning", 0.5), ("streaming", 0.7)):
                segments.append(TimelineSegment(kind, t, t + length, turn))
                t += length
            for name in ("read_file", "list_directory"):
                segments.append(TimelineSegment("tool", t, t + 0.004, turn, name))
                calls.append(ToolCallRecord(f"c{turn}{name}", name, {"file_path": f"src/m{turn}.py"}, True, 10,
                                            turn=turn))
                t += 0.004
            if turn % 10 == 0:
                segments.append(TimelineSegment("retry", t, t + 1.0, turn + 1))
                t += 1.0
        out.append(AgentResult(f"a{i}", f"openai:model-{i}", f"Model {i:02}", turns=turns, wall_s=t,
                               tool_calls=calls, timeline=segments))
    return RunResult("20261101-120000-bench0", TaskRef(None, "bench"), out, "2026-11-01T12:00:00+00:00")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def measure(run: RunResult, renders: int, keys: int) -> dict[str, float]:
    from nanotui.ui.app import NanotuiApp
    from nanotui.ui.screens.timeline import TimelineScreen
    from nanotui.ui.widgets.timeline_chart import TimelineChart

    app = NanotuiApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await app.push_screen(TimelineScreen(run))
        await pilot.pause()
        chart = app.screen.query_one(TimelineChart)
        draw = []
        for _ in range(renders):
            chart._rows.clear()  # the whole chart, as after a resize or a theme change
            start = time.perf_counter()
            chart.draw()
            draw.append((time.perf_counter() - start) * 1000)
        press, noop = [], []
        for i in range(keys):
            key = ("right", "right", "down", "right", "up", "left")[i % 6]
            start = time.perf_counter()
            await pilot.press(key)
            press.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            await pilot.press("x")  # bound to nothing here
            noop.append((time.perf_counter() - start) * 1000)
        return {
            "segments_per_agent": float(len(run.agents[0].timeline)),
            "chart_render_p50_ms": statistics.median(draw),
            "chart_render_p95_ms": p95(draw),
            "key_to_settled_p50_ms": statistics.median(press),
            "key_to_settled_p95_ms": p95(press),
            "unbound_key_p50_ms": statistics.median(noop),
            "key_over_unbound_p50_ms": statistics.median(press) - statistics.median(noop),
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=16)
    ap.add_argument("--turns", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as tmp:
        for var in ("NANOTUI_CONFIG_DIR", "NANOTUI_DATA_DIR", "NANOTUI_CACHE_DIR", "NANOTUI_STATE_DIR"):
            os.environ[var] = str(Path(tmp) / var)  # no user settings, no history written
        figures = asyncio.run(measure(big_run(args.agents, args.turns), renders=200, keys=120))
    print("cpu", cpu_name().replace(" ", "_"))
    for name, value in figures.items():
        print(name, round(value, 2))
    ok = figures["chart_render_p95_ms"] <= 50 and figures["key_over_unbound_p50_ms"] <= 50
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
