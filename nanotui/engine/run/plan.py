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


def check_workspace(path: Path, label: str | None = None) -> Path:
    """``path`` resolved, once it is known to be a readable folder that each agent may copy:
    not holding the temporary folder or nanotui's own, and within the copy budget.
    ``label`` names a task file's field; without it the error is about the user's workspace."""

    def bad(problem: str, expected: str | None = "a readable folder") -> ConfigError:
        if label is not None:
            return ConfigError(f"{label} {path}: {problem}")
        return ConfigError(problem, field="workspace", value=str(path), expected=expected)

    if not path.exists():
        raise bad("no such directory")
    if not path.is_dir():
        raise bad("not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise bad("not readable")
    try:
        next(iter(path.iterdir()), None)
    except OSError as exc:
        raise bad(f"not readable ({exc.strerror})") from None
    prefix = f"{label or 'workspace'} {path}: "
    try:
        refuse_protected(path, label or "workspace")
        check_budget(path, label or "workspace")
    except ConfigError as exc:
        if not exc.message.startswith(prefix):
            raise  # about something else (a budget variable)
        raise bad(exc.message.removeprefix(prefix), None) from None
    return path.resolve()


def resolve_models(
    names: list[str], roster: Roster | None = None, *, providers: ProviderRegistry | None = None
) -> list[ModelSpec]:
    """The specs for ``names``; with ``providers``, each is checked ready to run (keys set)."""
    if not names:
        raise ConfigError("at least one model is needed", field="model", expected="PROVIDER:MODEL (e.g. openai:gpt-5-mini) or a roster entry name")
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
            raise ConfigError("give either a task or a prompt, not both", field="prompt")
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
            raise ConfigError("nothing to run", field="task", expected="a task id (see `nanotui tasks`) or a prompt")
        if variables:
            raise ConfigError("variables only apply to a task, not to a prompt", field="var")
        ws = check_workspace(workspace) if workspace is not None else None
        task_ref = TaskRef(None, prompt)
        agent_task = AgentTask(prompt, ws, bool(read_only))
        turns = max_turns or DEFAULT_MAX_TURNS
        timeout = timeout_s or DEFAULT_TIMEOUT_S
    if turns < 1:
        raise ConfigError("", field="max_turns", value=turns, expected="a whole number of at least 1")
    if timeout <= 0:
        raise ConfigError("", field="timeout", value=timeout, expected="a positive number of seconds")
    specs = resolve_models(models, roster, providers=providers)
    limits = Limits(max_turns=turns, timeout_s=timeout, max_tokens=max_tokens, max_cost_usd=max_cost_usd)
    return RunPlan(task_ref, agent_task, specs, limits, task, variables)
