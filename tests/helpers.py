"""Small helpers for running the engine in tests."""

from __future__ import annotations

from pathlib import Path

from nanotui.engine.agent import AgentTask, Limits
from nanotui.engine.events import Event
from nanotui.engine.models import load_roster
from nanotui.engine.orchestrator import Orchestrator
from nanotui.engine.results import RunResult
from nanotui.engine.retry import RetryPolicy

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05, max_total_wait_s=2.0)


async def run_models(
    specs: list[str],
    prompt: str = "What is the secret word?",
    workspace: Path | None = None,
    *,
    limits: Limits = Limits(max_turns=6, timeout_s=20),
    retry: RetryPolicy = FAST_RETRY,
    events: list[Event] | None = None,
) -> RunResult:
    roster = load_roster()
    orch = Orchestrator(
        AgentTask(prompt, workspace),
        [roster.resolve(s) for s in specs],
        limits=limits,
        retry_policy=retry,
        sink=(events.append if events is not None else (lambda e: None)),
    )
    return await orch.run()
