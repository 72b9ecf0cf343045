"""Suite scheduling benchmark (issue 11).

1. A suite: 10 tasks x 9 models x 3 trials = 270 agents, ten orchestrators sharing one
   Scheduler with the shipped limits, against loopback servers (OpenAI Responses and Chat,
   Anthropic Messages, Ollama) that take 1 s per response; every agent makes 2 requests (a
   tool call, then the answer). Targets: suite wall <= 1.10x the ideal schedule for those
   limits (and each key's last finish <= 1.10x its own ideal); peak RSS growth <= 60 MB;
   recording (a real RunStore per task run) <= 2 % of the event loop.
2. A 429 storm: 48 OpenAI agents of 4 requests each while the server refuses every third
   request with ``Retry-After: 1`` for 20 s. Targets: no agent failed; the adaptive limit
   visibly lowered and restored to its base (printed over time).

3. (--part local, needs the [local] extra) ``nanotui run basic-read`` with openai:gpt-5-mini and
   ollama:gpt-oss:20b against a loopback server answering in 0.5 s, with and without
   local:qwen2.5-coder-1.5b: the remote agents' wall time with it within 1.10x of without.

Run: python benchmarks/bench_suite.py [--part suite|storm|both|local] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import cpu_name, rss_mb
from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.events import AgentFinished
from nanotui.engine.results import TaskRef
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.orchestrator import Orchestrator
from nanotui.engine.run.scheduler import DEFAULT_PROVIDER_LIMITS, Scheduler
from nanotui.providers.registry import SdkProviders

TASKS, TRIALS, DELAY_S, TURNS = 10, 3, 1.0, 2
STORM_S, STORM_AGENTS, STORM_TURNS = 20.0, 48, 4
MODELS = [("openai", "gpt-5"), ("openai", "gpt-5-mini"), ("openai", "gpt-5-nano"),
          ("anthropic", "claude-opus-4-1"), ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-haiku-4-5"),
          ("openai-compat", "qwen3-coder"), ("openai-compat", "kimi-k2"), ("ollama", "gpt-oss:20b")]


# -- the loopback servers, in a child process (their threads must not share our GIL) ----------


def _serve(conn: Any, kind: str, storm_s: float, tool_turns: int, delay_s: float) -> None:  # pragma: no cover
    import json
    import threading

    # Dozens of handler threads wake together after their delay and each writes ~15 frames:
    # with the default 5 ms GIL switch interval they queue behind one another for seconds.
    sys.setswitchinterval(0.0001)

    from tests.servers.anthropic_server import AnthropicServer
    from tests.servers.ollama_server import OllamaServer
    from tests.servers.openai_server import OpenAIServer
    from tests.servers.script import Call, Reply

    def two_step(cls: type) -> type:
        class TwoStep(cls):  # tool calls first; once the request carries enough tool results, the answer
            def model_of(self, body: Any) -> str:
                text = json.dumps(body)
                results = sum(text.count(k) for k in ('"function_call_output"', '"role": "tool"', '"tool_result"'))
                return super().model_of(body) + ("#answer" if results >= tool_turns else "")
        return TwoStep

    class Storm(two_step(OpenAIServer)):  # every third request refused while the storm lasts
        count, began = 0, None
        lock = threading.Lock()

        def handle(self, h, method, body):  # type: ignore[override]
            with self.lock:
                Storm.count += 1
                if Storm.began is None:
                    Storm.began = time.monotonic()
                refuse = time.monotonic() - Storm.began < storm_s and Storm.count % 3 == 0
            if refuse:
                self.send_error_json(h, 429, "rate limited", retry_after=1)
                return
            super().handle(h, method, body)

    make = {"openai": Storm if storm_s else two_step(OpenAIServer), "compat": two_step(OpenAIServer),
            "anthropic": two_step(AnthropicServer),
            "ollama": lambda: two_step(OllamaServer)({"gpt-oss:20b": ["completion", "tools"]})}
    server = make[kind]().start()
    for _, m in MODELS:
        server.always(m, Reply(calls=[Call("list_directory", {})], first_byte_delay_s=delay_s))
        server.always(m + "#answer", Reply(text="The files are README.md and data.", first_byte_delay_s=delay_s))
    conn.send(server.host if kind == "ollama" else server.base_url)
    conn.recv()
    server.stop()


class Servers:
    """One process per server (OpenAI Responses, an OpenAI-compatible Chat endpoint,
    Anthropic, Ollama), so no two share a GIL."""

    KINDS = ("openai", "compat", "anthropic", "ollama")

    def __init__(self, storm_s: float = 0.0, tool_turns: int = TURNS - 1, delay_s: float = DELAY_S) -> None:
        self._procs = []
        for kind in self.KINDS:
            parent, child = mp.Pipe()
            proc = mp.get_context("spawn").Process(target=_serve, args=(child, kind, storm_s, tool_turns, delay_s),
                                                   daemon=True)
            self._procs.append((parent, proc))

    def __enter__(self) -> list[str]:
        for _, proc in self._procs:
            proc.start()
        urls = [parent.recv() for parent, _ in self._procs]
        os.environ.update(OPENAI_BASE_URL=urls[0], NANOTUI_BENCH_COMPAT_URL=urls[1], OPENAI_API_KEY="sk-bench",
                          ANTHROPIC_BASE_URL=urls[2], ANTHROPIC_API_KEY="sk-ant-bench", OLLAMA_HOST=urls[3],
                          NO_PROXY="127.0.0.1,localhost")
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            os.environ.pop(var, None)
        return urls

    def __exit__(self, *exc: object) -> None:
        for parent, proc in self._procs:
            parent.send("stop")
            proc.join(5)


# -- measurements -----------------------------------------------------------------------------




def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024




def specs() -> list[ModelSpec]:
    out = []
    for provider, model in MODELS:
        base = os.environ["NANOTUI_BENCH_COMPAT_URL"] if provider == "openai-compat" else None
        out.append(ModelSpec(f"{provider}:{model}", provider, model, model, base_url=base,
                             api_key_env="OPENAI_API_KEY" if base else None))
    return out


def ideal_by_key(models: list[ModelSpec], per_model: int, turns: int, delay_s: float) -> dict[str, float]:
    """Each key's agents in full waves of its limit, each agent ``turns`` responses long."""
    counts: dict[str, int] = {}
    for m in models:
        counts[Scheduler.key_for(m)] = counts.get(Scheduler.key_for(m), 0) + per_model
    limits = {k: DEFAULT_PROVIDER_LIMITS[k.partition("@")[0]] for k in counts}
    return {k: math.ceil(n / limits[k]) * turns * delay_s for k, n in counts.items()}


# -- 1. the suite -----------------------------------------------------------------------------


async def warm_up(workspace: Path) -> None:
    """One agent per model, so imports, validators and first-use caches are not counted as growth."""
    models = specs()
    await Orchestrator(AgentTask("List the files.", workspace), models, providers=SdkProviders()).run()


async def suite(workspace: Path, db: Path | None, tasks: int = TASKS, delay_s: float = DELAY_S) -> dict[str, float]:
    from nanotui.engine.history.store import RunStore

    models = specs()
    agent_specs = [m for m in models for _ in range(TRIALS)]
    key_of = {m.spec: Scheduler.key_for(m) for m in models}
    scheduler = Scheduler()
    record_s = 0.0
    last_finish: dict[str, float] = {}
    stores, orchestrators = [], []
    t0, cpu0 = time.monotonic(), time.process_time()
    for t in range(tasks):
        store = RunStore(db) if db is not None else None
        ref = TaskRef(f"bench-task-{t + 1}", "List the files in your workspace.")

        def sink(event, store=store) -> None:
            nonlocal record_s
            start = time.perf_counter()
            if store is not None:
                store.record(event)
            record_s += time.perf_counter() - start
            if isinstance(event, AgentFinished) and event.result is not None:
                last_finish[key_of[event.result.model]] = time.monotonic() - t0

        orch = Orchestrator(AgentTask(ref.prompt, workspace), agent_specs, providers=SdkProviders(), task_ref=ref,
                            limits=Limits(max_turns=4, timeout_s=600), sink=sink, scheduler=scheduler)
        if store is not None:
            store.begin_run(orch.run_id, ref, agent_specs, {"bench": True}, agent_ids=orch.agent_ids)
        stores.append(store)
        orchestrators.append(orch)
    runs = await asyncio.gather(*(o.run() for o in orchestrators))
    wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    for store, run in zip(stores, runs):
        if store is not None:
            start = time.perf_counter()
            store.finish_run(run)
            record_s += time.perf_counter() - start
            store.close()
    agents = [a for r in runs for a in r.agents]
    bad = [f"{a.model}: {a.status} {a.error}" for a in agents if a.status != "ok"]
    if bad:
        print("failed agents:", len(bad), bad[:3])
    ideal = ideal_by_key(models, tasks * TRIALS, TURNS, delay_s)
    out = {"agents": float(len(agents)), "agents_not_ok": float(len(bad)), "suite_wall_s": wall,
           "ideal_wall_s": max(ideal.values()), "wall_vs_ideal": wall / max(ideal.values()),
           "record_s": record_s, "record_share_of_loop": record_s / wall,
           "queue_s_mean": sum(a.queue_s for a in agents) / len(agents),
           "working_s_mean": sum(a.working_s for a in agents) / len(agents), "cpu_share_of_one_core": cpu / wall}
    for key, ideal_s in ideal.items():
        out[f"key_{key}_last_finish_vs_ideal"] = last_finish.get(key, math.inf) / ideal_s
        mine = [a for a in agents if key_of[a.model] == key]
        mean = sum(a.working_s for a in mine) / len(mine)
        out[f"key_{key}_working_s_mean"] = mean
        # The same waves with the agents' measured working time instead of the nominal one:
        # how well the queue kept the slots busy, whatever the machine's load did to latency.
        out[f"key_{key}_last_finish_vs_measured_ideal"] = last_finish.get(key, math.inf) / (ideal_s / TURNS * mean)
    return out


# -- 2. the storm -----------------------------------------------------------------------------


async def storm(workspace: Path) -> tuple[dict[str, float], list[str]]:
    models = [m for m in specs() if m.provider == "openai"]
    agent_specs = [models[i % len(models)] for i in range(STORM_AGENTS)]
    scheduler = Scheduler()
    orch = Orchestrator(AgentTask("List the files in your workspace.", workspace), agent_specs,
                        providers=SdkProviders(), limits=Limits(max_turns=STORM_TURNS + 2, timeout_s=600),
                        scheduler=scheduler, retry_policy=RetryPolicy())
    timeline: list[str] = []
    lowest = DEFAULT_PROVIDER_LIMITS["openai"]
    t0 = time.monotonic()

    async def sample() -> None:
        nonlocal lowest
        while True:
            limit = scheduler.limit_of("openai") or DEFAULT_PROVIDER_LIMITS["openai"]
            lowest = min(lowest, limit)
            state = next((s for s in scheduler.snapshot() if s.key == "openai"), None)
            running = state.running if state else 0
            timeline.append(f"t={time.monotonic() - t0:5.1f}s limit={limit:2d} running={running:2d} "
                            + "#" * limit)
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample())
    run = await orch.run()
    sampler.cancel()
    wall = time.monotonic() - t0
    final = scheduler.limit_of("openai") or 0
    failed = [a for a in run.agents if a.status != "ok"]
    return ({"storm_agents": float(len(run.agents)), "storm_agents_failed": float(len(failed)),
             "storm_wall_s": wall, "storm_retries": float(sum(a.retries for a in run.agents)),
             "storm_lowest_limit": float(lowest), "storm_final_limit": float(final),
             "storm_limit_changes": float(len(scheduler.changes))},
            timeline + [f"change at {c.at_s:5.1f}s: {c.limit} ({c.why})" for c in scheduler.changes])


# -- 3. the on-device model beside remote agents ----------------------------------------------


def local_isolation(runs: int, tmp: Path) -> tuple[dict[str, float], list[str]]:
    """``nanotui run basic-read`` with openai:gpt-5-mini and ollama:gpt-oss:20b against a
    loopback server answering in 0.5 s, with and without local:qwen2.5-coder-1.5b, runs
    alternating; the remote agents' wall and TTFT medians compared."""
    import json
    import statistics
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from nanotui.cli import main as nanotui_main

    os.environ["NANOTUI_DATA_DIR"] = str(tmp / "data")  # the benchmark's runs stay out of your history
    remote = ["openai:gpt-5-mini", "ollama:gpt-oss:20b"]
    samples: dict[str, dict[str, list[float]]] = {"without": {}, "with": {}}
    lines = []
    for i in range(runs * 2):
        mode = "without" if i % 2 == 0 else "with"
        models = remote + (["local:qwen2.5-coder-1.5b"] if mode == "with" else [])
        out = tmp / f"local-{i}.json"
        args = ["run", "basic-read", "--no-judge", "--json", str(out)]
        for m in models:
            args += ["-m", m]
        with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
            code = nanotui_main(args)
        doc = json.loads(out.read_text())
        for a in doc["agents"]:
            if a["model"] in remote:
                for field in ("wall_s", "ttft_s", "working_s"):
                    samples[mode].setdefault(f"{a['model']} {field}", []).append(a[field] or 0.0)
            else:
                lines.append(f"run {i + 1}: local agent {a['status']} wall {a['wall_s']:.1f} s "
                             f"load {a['metrics'].get('load_s', 0):.1f} s")
        lines.append(f"run {i + 1} ({mode} local, exit {code}): " + ", ".join(
            f"{a['model']} wall {a['wall_s']:.2f} ttft {a['ttft_s'] or 0:.2f}" for a in doc["agents"]
            if a["model"] in remote))
    figures: dict[str, float] = {}
    for name in samples["without"]:
        base = statistics.median(samples["without"][name])
        other = statistics.median(samples["with"][name])
        key = name.replace(":", "_").replace(" ", "_")
        figures[f"{key}_without_local"] = base
        figures[f"{key}_with_local"] = other
        figures[f"{key}_ratio"] = other / base if base else math.inf
    return figures, lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("suite", "storm", "both", "local"), default="both")
    parser.add_argument("--runs", type=int, default=3, help="runs each way for --part local")
    parser.add_argument("--tasks", type=int, default=TASKS, help="tasks in the suite (the targets are for 10)")
    parser.add_argument("--delay", type=float, default=DELAY_S, help="seconds per response (the targets: 1)")
    parser.add_argument("--no-store", action="store_true", help="no history (to see what recording costs)")
    args = parser.parse_args()
    print(f"cpu {cpu_name()} x{len(os.sched_getaffinity(0))}")
    print(f"load_before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "ws"
        workspace.mkdir()
        (workspace / "README.md").write_text("# bench\n")
        (workspace / "data").mkdir()
        if args.part in ("suite", "both"):
            with Servers(delay_s=args.delay):
                asyncio.run(warm_up(workspace))
                before = rss_mb()
                db = None if args.no_store else Path(tmp) / "history.sqlite3"
                figures = asyncio.run(suite(workspace, db, args.tasks, args.delay))
                figures["peak_rss_growth_mb"] = peak_rss_mb() - before
            for name, value in figures.items():
                print(f"{name} {value:.4f}")
            # The target is the issue's: the suite's wall against the ideal schedule. The key_*
            # lines are for diagnosis (a loopback server on 2 cores answers slower than its 1 s
            # under 48 streams; *_vs_measured_ideal takes the times the agents really took).
            ok &= figures["agents_not_ok"] == 0 and figures["wall_vs_ideal"] <= 1.10
            ok &= figures["peak_rss_growth_mb"] <= 60 and figures["record_share_of_loop"] <= 0.02
        if args.part in ("storm", "both"):
            with Servers(storm_s=STORM_S, tool_turns=STORM_TURNS - 1):
                figures, timeline = asyncio.run(storm(workspace))
            for line in timeline:
                print(line)
            for name, value in figures.items():
                print(f"{name} {value:.4f}")
            base = DEFAULT_PROVIDER_LIMITS["openai"]
            ok &= figures["storm_agents_failed"] == 0 and figures["storm_lowest_limit"] < base
            ok &= figures["storm_final_limit"] == base
        if args.part == "local":
            with Servers(delay_s=0.5):
                figures, lines = local_isolation(args.runs, Path(tmp))
            for line in lines:
                print(line)
            for name, value in figures.items():
                print(f"{name} {value:.4f}")
            ok &= all(v <= 1.10 for k, v in figures.items() if k.endswith("wall_s_ratio"))
    print(f"load_after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
