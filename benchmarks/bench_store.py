"""How much the run history costs the event loop: 16 agents streaming text deltas into
RunStore.record at 100 deltas/s each (the arena benchmark's load), then an agent-finished
commit each.

    python benchmarks/bench_store.py [--agents 16] [--deltas 500] [--rate 100]

Prints the time spent inside record() (mean and worst call, flushes included), the rows
and commits written, and checks that replaying each agent's events gives back exactly the
text streamed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.events import AgentFinished, AgentStarted, TextDelta
from nanotui.engine.history.store import RunStore
from nanotui.engine.results import AgentResult, TaskRef
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.plan import RunPlan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=16)
    ap.add_argument("--deltas", type=int, default=500, help="text deltas per agent")
    ap.add_argument("--rate", type=float, default=100.0, help="deltas per second per agent")
    args = ap.parse_args()
    ids = [f"a{i + 1}" for i in range(args.agents)]
    specs = [ModelSpec(f"m{i}", "openai", f"model-{i}", f"Model {i}") for i in range(args.agents)]
    plan = RunPlan(TaskRef(None, "bench"), AgentTask("bench"), specs, Limits())
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "h.sqlite3")
        store.begin_run("bench", plan.task_ref, plan.specs, plan.describe())
        commits = 0
        original = store._flush

        def counting_flush() -> None:
            nonlocal commits
            had = bool(store._buffer)
            original()
            commits += had

        store._flush = counting_flush  # type: ignore[method-assign]
        for aid, spec in zip(ids, specs):
            store.record(AgentStarted(aid, spec.spec, spec.display_name))
        texts: dict[str, list[str]] = {aid: [] for aid in ids}
        spent: list[float] = []
        t0 = time.perf_counter()
        for n in range(args.deltas):
            for aid in ids:
                piece = f"tok{n} "
                texts[aid].append(piece)
                c0 = time.perf_counter()
                store.record(TextDelta(aid, piece))
                spent.append(time.perf_counter() - c0)
            # keep the pace of a real stream: one delta per agent every 1/rate seconds
            time.sleep(max(0.0, t0 + (n + 1) / args.rate - time.perf_counter()))
        for aid, spec in zip(ids, specs):
            c0 = time.perf_counter()
            store.record(AgentFinished(aid, AgentResult(aid, spec.spec, spec.display_name, final_answer="done")))
            spent.append(time.perf_counter() - c0)
        elapsed = time.perf_counter() - t0
        rows = store._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        for aid in ids:
            replay = "".join(e.text for e in store.events("bench", aid) if isinstance(e, TextDelta))
            assert replay == "".join(texts[aid]), f"{aid}: replay differs"
        store.close()
    calls = len(spent)
    print(f"{calls} events from {args.agents} agents over {elapsed:.1f} s: record() took {sum(spent) * 1e3:.0f} ms "
          f"in all ({sum(spent) / elapsed * 100:.2f} % of the loop), {sum(spent) / calls * 1e6:.1f} us mean, "
          f"{max(spent) * 1e3:.2f} ms worst")
    print(f"{rows} event rows, {commits} event commits (+{args.agents} agent commits); replay identical")


if __name__ == "__main__":
    main()
