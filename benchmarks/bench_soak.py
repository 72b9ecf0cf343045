"""Random-fault soak: many short runs through the one run sequence (RecordedRun with a real
RunStore), against loopback servers for all four wire protocols that answer each request
at random with a good reply, a tool call, malformed tool arguments, a lone surrogate, a
429, a 500, a disconnect part-way through the stream, bad JSON or a hang.

    python benchmarks/bench_soak.py [--seconds 600] [--seed N]

Prints runs, agents, results lost (an agent of the plan without a final status in the
history), hangs (a run that did not end within its agents' timeout plus a margin) and RSS
at the start and the end, then PASS/FAIL: at least 100 runs, 0 lost, 0 hangs, RSS growth
under 20 MB. The servers run in a child process, so their work does not share our GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import cpu_name, rss_mb

AGENT_TIMEOUT_S = 3.0
HANG_MARGIN_S = 30.0  # a run still going this long after its agents' timeout has hung
RSS_LIMIT_MB = 20.0
MIN_RUNS = 100
WARM_UP_RUNS = 20  # RSS settles within ~20 runs (allocator arenas, SDK and SQLite caches)

# protocol -> (roster entry name, model the server sees)
MODELS = {
    "responses": ("soak-responses", "gpt-5-mini"),
    "chat": ("soak-chat", "soak-chat-model"),
    "anthropic": ("soak-anthropic", "claude-3-haiku-20240307"),
    "ollama": ("soak-ollama", "gpt-oss:20b"),
}


def _random_step(rng: random.Random):  # pragma: no cover - child process
    from tests.servers.script import Call, Fault, Reply

    roll = rng.random()
    if roll < 0.40:
        return Reply(text="The secret word is PLUM.", text_chunks=rng.randint(1, 8))
    if roll < 0.55:
        return Reply(calls=[Call("read_file", {"file_path": "README.md"})])
    if roll < 0.60:
        return Reply(calls=[Call("read_file", '{"file_path": "READ')])  # malformed arguments
    if roll < 0.65:
        return Reply(text="odd \ud800 text", calls=[Call("write_file", {"file_path": "x\ud800", "content": "y"})])
    if roll < 0.75:
        return Fault(429, "slow down", retry_after=0.05)
    if roll < 0.85:
        return Fault(500, "upstream exploded")
    if roll < 0.93:
        return Fault(disconnect_mid_stream=True)
    if roll < 0.99:
        return Fault(200, "not json")  # a 200 whose body is an error document, not a stream
    return Fault(hang=True, hang_s=AGENT_TIMEOUT_S + 2)


def _serve(conn, seed: int) -> None:  # pragma: no cover - child process
    from tests.servers.anthropic_server import AnthropicServer
    from tests.servers.ollama_server import OllamaServer
    from tests.servers.openai_server import OpenAIServer

    rng = random.Random(seed)

    def randomised(cls):
        class Random(cls):
            def next_step(self, model):
                with self._lock:
                    self.requests.clear()  # a soak must not measure the server's memory
                    return _random_step(rng)

        return Random

    openai = randomised(OpenAIServer)().start()
    anthropic = randomised(AnthropicServer)().start()
    ollama = randomised(OllamaServer)().start()
    conn.send((openai.base_url, anthropic.base_url, ollama.host))
    conn.recv()
    for s in (openai, anthropic, ollama):
        s.stop()






def setup_environment(home: Path, urls: tuple[str, str, str]) -> None:
    openai_url, anthropic_url, ollama_host = urls
    for var, sub in (("NANOTUI_CONFIG_DIR", "config"), ("NANOTUI_DATA_DIR", "data"),
                     ("NANOTUI_CACHE_DIR", "cache"), ("NANOTUI_STATE_DIR", "state")):
        os.environ[var] = str(home / sub)
    os.environ.update({
        "OPENAI_BASE_URL": openai_url, "OPENAI_API_KEY": "sk-soak-loopback-0000",
        "ANTHROPIC_BASE_URL": anthropic_url, "ANTHROPIC_API_KEY": "sk-ant-soak-loopback-0000",
        "OLLAMA_HOST": ollama_host, "NO_PROXY": "127.0.0.1,localhost",
    })
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(var, None)
    config = home / "config"
    config.mkdir(parents=True)
    (config / "roster.toml").write_text(
        f'[models.soak-responses]\nspec = "openai:{MODELS["responses"][1]}"\n'
        f'[models.soak-chat]\nprovider = "openai"\nmodel = "{MODELS["chat"][1]}"\nbase_url = "{openai_url}"\n'
        f'[models.soak-anthropic]\nspec = "anthropic:{MODELS["anthropic"][1]}"\n'
        f'[models.soak-ollama]\nspec = "ollama:{MODELS["ollama"][1]}"\n'
    )
    ws = home / "ws"
    ws.mkdir()
    (ws / "README.md").write_text("# Demo\nThe secret word is PLUM.\n")


async def one_run(store, workspace: Path, rng: random.Random) -> tuple[int, int, bool]:
    """(agents planned, results lost, hung) for one run of 2-10 agents."""
    from nanotui.engine.agent.retry import RetryPolicy
    from nanotui.engine.run.plan import plan_run
    from nanotui.engine.run.service import RecordedRun
    from nanotui.providers.registry import SdkProviders

    names = [MODELS[p][0] for p in rng.choices(list(MODELS), k=rng.randint(2, 10))]
    plan = plan_run(models=names, prompt="What is the secret word?", workspace=workspace, max_turns=4,
                    timeout_s=AGENT_TIMEOUT_S, providers=SdkProviders())
    recorded = RecordedRun(plan, providers=SdkProviders(), history=store,
                           retry_policy=RetryPolicy(max_attempts=3, base_delay_s=0.05, max_delay_s=0.2,
                                                    max_total_wait_s=1.0))
    try:
        run = await asyncio.wait_for(recorded.execute(), AGENT_TIMEOUT_S + HANG_MARGIN_S)
    except TimeoutError:
        return len(names), len(names), True
    stored = store.load_run(run.run_id)
    finished = [a for a in stored.agents if a.status not in ("queued", "running", "")]
    lost = len(names) - min(len(finished), len(run.agents))
    return len(names), lost, False


def soak(seconds: float, seed: int) -> dict[str, float]:
    from nanotui.engine.history.store import RunStore

    rng = random.Random(seed)
    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=_serve, args=(child, seed), daemon=True)
    server.start()
    urls = parent.recv()
    figures = {"runs": 0, "agents": 0, "results_lost": 0, "hangs": 0}
    with tempfile.TemporaryDirectory(prefix="nanotui-soak-") as tmp:
        home = Path(tmp)
        setup_environment(home, urls)
        with RunStore() as store:
            for _ in range(WARM_UP_RUNS):  # imports, price data, SDK clients, SQLite's page cache
                asyncio.run(one_run(store, home / "ws", rng))
            rss_start = rss_mb()
            start = time.monotonic()
            end = start + seconds
            rss_mid = None
            while time.monotonic() < end:
                if rss_mid is None and time.monotonic() > start + seconds / 2:
                    rss_mid = rss_mb()
                agents, lost, hung = asyncio.run(one_run(store, home / "ws", rng))
                figures["runs"] += 1
                figures["agents"] += agents
                figures["results_lost"] += lost
                figures["hangs"] += int(hung)
            rss_end = rss_mb()
            figures["history_error_runs"] = 0 if store.error is None else 1
    parent.send("stop")
    server.join(5)
    figures.update(rss_start_mb=round(rss_start, 1), rss_mid_mb=round(rss_mid or rss_end, 1),
                   rss_end_mb=round(rss_end, 1),
                   rss_growth_mb=round(rss_end - rss_start, 1))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    t0 = time.monotonic()
    figures = soak(args.seconds, args.seed)
    print(f"cpu {cpu_name()} ({os.cpu_count()} cores)")
    print(f"seconds {time.monotonic() - t0:.0f}")
    for name, value in figures.items():
        print(f"{name} {value}")
    ok = (figures["runs"] >= MIN_RUNS and figures["results_lost"] == 0 and figures["hangs"] == 0
          and figures["rss_growth_mb"] < RSS_LIMIT_MB)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
