"""On-device throughput: tokens/s through nanotui vs bare xllamacpp (issue: on-device model).

The same request — the body nanotui's ``local:`` provider builds for a step (shared system
prompt + action format, JSON-schema constraint, greedy) — runs on the same loaded model:

- bare: ``Server.handle_chat_completions`` with a streaming callback, on this thread, the
  model loaded in this process;
- nanotui: the whole agent loop (``Agent.run``) with the provider, the runtime's child
  process (all cores but one, lowest priority) and its pipe, the worker thread, the
  asyncio queue, the action parser and the event sink.

Both use the same number of threads (the child's default), so the hop is what differs.

Runs alternate (bare, nanotui, bare, ...) so machine noise hits both alike; greedy decoding
makes every run generate the same tokens. Reported: output tokens/s end to end as the consumer
sees them (request sent to last token received: prompt, generation and every hop in between),
and the runtime's own generation rate for the same request. Target: nanotui at least 0.95x
bare, end to end.

Needs the [local] extra.  Run: python benchmarks/bench_local.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nanotui.engine.agent.loop import Agent, AgentTask, Limits
from nanotui.engine.agent.prompt import SYSTEM_PROMPT
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.tool_defs import TOOL_DEFS
from nanotui.engine.agent.transcript import UserMessage
from nanotui.engine.events import Event, ReasoningDelta, TextDelta, TurnFinished
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.local.llama import LocalLlamaProvider, XllamaBackend, default_threads, load_backend
from nanotui.providers.local.model_file import resolve_model_path

MODEL = "qwen2.5-coder-1.5b"
PROMPT = (
    "You need no tools for this. Write a plain-text description, about 120 words long, of a "
    "command-line tool that runs a command whenever a file in a folder changes."
)


@dataclass
class Sample:
    tokens: int
    total_s: float  # request sent to last token received
    runtime_gen_rate: float  # llama.cpp's own timing of the generation

    @property
    def e2e_rate(self) -> float:
        return self.tokens / self.total_s


def bare(backend, body: dict) -> Sample:
    last = 0.0
    tokens = 0
    rate = 0.0
    t0 = time.perf_counter()

    def on_chunk(chunk: dict) -> bool:
        nonlocal last, tokens, rate
        if any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
            last = time.perf_counter()
        if chunk.get("usage"):
            tokens = chunk["usage"]["completion_tokens"]
            rate = chunk["timings"]["predicted_per_second"]
        return False

    backend.chat_stream(body, on_chunk)
    return Sample(tokens, last - t0, rate)


async def through_nanotui(spec: ModelSpec, backend, workspace: Path) -> Sample:
    last = 0.0
    tokens = 0

    def sink(event: Event) -> None:
        nonlocal last, tokens
        if isinstance(event, (TextDelta, ReasoningDelta)):
            last = time.perf_counter()
        elif isinstance(event, TurnFinished):
            tokens = event.usage.output_tokens

    sandbox = Sandbox.create(workspace)
    try:
        provider = LocalLlamaProvider(spec, backend=backend)
        agent = Agent("bench", spec, provider, AgentTask(PROMPT, workspace), sandbox,
                      limits=Limits(max_turns=1, timeout_s=600), sink=sink)
        t0 = time.perf_counter()
        result = await agent.run()
        if result.turns != 1 or not result.final_answer:
            raise SystemExit(f"the benchmark prompt did not end in one answer step: {result.status} {result.error}")
    finally:
        sandbox.cleanup()
    return Sample(tokens, last - t0, result.metrics["gen_tokens_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    threads = default_threads()
    spec = ModelSpec(name=f"local:{MODEL}", provider="local", model=MODEL, display_name=MODEL)
    t = time.perf_counter()
    backend, _ = load_backend(MODEL, 8192, threads)
    print(f"model loaded in its child process in {time.perf_counter() - t:.1f} s; {threads} threads")
    in_process = XllamaBackend(resolve_model_path(MODEL), 8192, threads)
    body, _ = LocalLlamaProvider(spec, backend=backend).request_body(
        SYSTEM_PROMPT, [UserMessage(PROMPT)], list(TOOL_DEFS)
    )
    workspace = Path(tempfile.mkdtemp(prefix="nanotui-bench-"))
    bare(in_process, body)  # warm-up: fills the prompt cache both sides then reuse
    bare(backend, body)
    rows: dict[str, list[Sample]] = {"bare xllamacpp": [], "nanotui": []}
    for i in range(args.runs):
        rows["bare xllamacpp"].append(bare(in_process, body))
        rows["nanotui"].append(asyncio.run(through_nanotui(spec, backend, workspace)))
        print(f"run {i + 1}/{args.runs}: bare {rows['bare xllamacpp'][-1].e2e_rate:.2f} tok/s, "
              f"nanotui {rows['nanotui'][-1].e2e_rate:.2f} tok/s (end to end)", flush=True)

    print()
    print(f"{'':16} {'tokens':>6} {'end-to-end tok/s':>17} {'runtime gen tok/s':>18}")
    med: dict[str, tuple[float, float]] = {}
    for name, samples in rows.items():
        e2e = statistics.median(s.e2e_rate for s in samples)
        gen = statistics.median(s.runtime_gen_rate for s in samples)
        med[name] = (e2e, gen)
        print(f"{name:16} {samples[0].tokens:>6} {e2e:>17.2f} {gen:>18.2f}")
    e2e_ratio = med["nanotui"][0] / med["bare xllamacpp"][0]
    gen_ratio = med["nanotui"][1] / med["bare xllamacpp"][1]
    verdict = "PASS" if e2e_ratio >= 0.95 else "FAIL"
    print(f"\nnanotui / bare: end to end {e2e_ratio:.3f}x (target >= 0.95x): {verdict}; "
          f"runtime generation rate {gen_ratio:.3f}x")


if __name__ == "__main__":
    main()
