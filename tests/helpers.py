"""Small helpers for running the engine in tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.events import Event
from nanotui.engine.results import RunResult
from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.orchestrator import Orchestrator
from nanotui.providers.registry import SdkProviders

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
        providers=SdkProviders(),
        limits=limits,
        retry_policy=retry,
        sink=(events.append if events is not None else (lambda e: None)),
    )
    return await orch.run()


class FactoryProviders(SdkProviders):
    """The real registry, except that providers come from ``factory`` (a test double for a
    provider that breaks, or that must never be made)."""

    def __init__(self, factory: Callable[[ModelSpec], Any]) -> None:
        self.factory = factory

    def create(self, spec: ModelSpec) -> Any:
        return self.factory(spec)
