"""Turning what the user asked for (a task id or an ad-hoc prompt, models, limits) into a
checked, ready-to-run plan. Shared by the headless runner and the TUI."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.agent.prompt import SYSTEM_PROMPT
from nanotui.engine.agent.provider import ProviderRegistry
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.workspace import check_budget, refuse_protected
from nanotui.engine.errors import ConfigError
from nanotui.engine.results import AgentResult, TaskRef
from nanotui.engine.roster.roster_file import Roster, load_roster
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.tasks.checks.kinds import run_checks
from nanotui.engine.tasks.library import load_library
from nanotui.engine.tasks.model import Task

DEFAULT_MAX_TURNS = 20
DEFAULT_TIMEOUT_S = 600.0


@dataclass
class RunPlan:
    task_ref: TaskRef
    agent_task: AgentTask
    specs: list[ModelSpec]
    limits: Limits
    task: Task | None = None  # when the run is a task from the library
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def rubric(self) -> str | None:
        """The task's rubric with this run's variables filled in, as the judge sees it."""
        if self.task is None:
            return None
        return self.task.render_rubric(self.variables) or None

    def describe(self, *, trials: int = 1, judge: str | None = None) -> dict[str, Any]:
        """What the history keeps of the plan (the report's method section reads it)."""
        workspace = self.agent_task.workspace
        limits = self.limits
        return {
            "system_prompt": SYSTEM_PROMPT,
            "limits": {
                "max_turns": limits.max_turns,
                "timeout_s": limits.timeout_s,
                "max_tokens": limits.max_tokens,
                "max_cost_usd": limits.max_cost_usd,
            },
            "rubric": self.rubric,
            "variables": dict(sorted(self.variables.items())),
            # Only the folder's name: reports get shared, home paths need not be.
            "workspace": workspace.name if workspace is not None else None,
            "read_only": self.agent_task.read_only,
            "trials": trials,
            "judge": judge,
        }

    async def after_agent(self, result: AgentResult, sandbox: Sandbox) -> None:
        """Run the task's deterministic checks on the agent's answer and workspace copy."""
        if self.task is None:
            return
        # A command check runs model-written code for up to its timeout: in a thread, so
        # the other agents' streams (and the TUI) keep going meanwhile.
        result.checks = await asyncio.to_thread(
            run_checks, self.task, result, sandbox.root, self.agent_task.workspace, self.variables
        )


def check_workspace(path: Path, flag: str = "--workspace") -> Path:
    """``path`` resolved, once it is known to be a readable folder that each agent may copy:
    not holding the temporary folder or nanotui's own, and within the copy budget."""
    if not path.exists():
        raise ConfigError(f"{flag} {path}: no such directory")
    if not path.is_dir():
        raise ConfigError(f"{flag} {path}: not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: not readable")
    try:
        next(iter(path.iterdir()), None)
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: not readable ({exc.strerror})") from None
    refuse_protected(path, flag)
    check_budget(path, flag)
    return path.resolve()


def resolve_models(
    names: list[str], roster: Roster | None = None, *, providers: ProviderRegistry | None = None
) -> list[ModelSpec]:
    """The specs for ``names``; with ``providers``, each is checked ready to run (keys set)."""
    if not names:
        raise ConfigError("--model: at least one model is needed (e.g. --model openai:gpt-5-mini)")
    roster = roster or load_roster()
    specs = [roster.resolve(n) for n in names]
    if providers is not None:
        for spec in specs:
            providers.check_ready(spec)
    return specs


def plan_run(
    *,
    models: list[str],
    task_id: str | None = None,
    prompt: str | None = None,
    workspace: Path | None = None,
    variables: dict[str, str] | None = None,
    max_turns: int | None = None,
    timeout_s: float | None = None,
    max_tokens: int | None = None,
    max_cost_usd: float | None = None,
    read_only: bool | None = None,
    roster: Roster | None = None,
    providers: ProviderRegistry | None = None,
) -> RunPlan:
    """A checked plan. ``providers`` checks that every model can run (keys set, options valid)."""
    variables = dict(variables or {})
    task = None
    if task_id is not None:
        if prompt is not None:
            raise ConfigError("give either a TASK or --prompt, not both")
        task = load_library().get(task_id)
        rendered = task.render(variables)
        task_ref = TaskRef(task.id, rendered, task.title)
        if workspace is not None:
            ws = check_workspace(workspace)
        elif task.workspace is not None:
            ws = check_workspace(task.workspace, f"task {task.id}: workspace")
        else:
            ws = None
        agent_task = AgentTask(rendered, ws, task.read_only if read_only is None else read_only)
        turns = max_turns or task.max_turns or DEFAULT_MAX_TURNS
        timeout = timeout_s or task.timeout_s or DEFAULT_TIMEOUT_S
    else:
        if not prompt:
            raise ConfigError("nothing to run: give a TASK id (see `nanotui tasks`) or --prompt TEXT")
        if variables:
            raise ConfigError("--var only applies to a TASK, not to --prompt")
        ws = check_workspace(workspace) if workspace is not None else None
        task_ref = TaskRef(None, prompt)
        agent_task = AgentTask(prompt, ws, bool(read_only))
        turns = max_turns or DEFAULT_MAX_TURNS
        timeout = timeout_s or DEFAULT_TIMEOUT_S
    if turns < 1:
        raise ConfigError("--max-turns: expected a whole number of at least 1")
    if timeout <= 0:
        raise ConfigError("--timeout: expected a positive number of seconds")
    specs = resolve_models(models, roster, providers=providers)
    limits = Limits(max_turns=turns, timeout_s=timeout, max_tokens=max_tokens, max_cost_usd=max_cost_usd)
    return RunPlan(task_ref, agent_task, specs, limits, task, variables)
