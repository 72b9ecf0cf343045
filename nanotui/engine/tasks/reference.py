"""Reference solutions: a task's known-good answer, replayed through the real tools on a
fresh copy of its workspace, so the checks can be shown to pass (and wrong answers to fail).

A reference file is TOML::

    answer = "AMBER-FALCON-7"      # the final answer
    turns = 2                       # optional; default: one turn per call, plus the answer

    [[calls]]                       # tool calls, in order; every key but `tool` is an argument
    tool = "read_file"
    file_path = "project.txt"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.tasks.checks.kinds import run_checks
from nanotui.engine.errors import ConfigError
from nanotui.engine.files import DataFileError, loads_toml
from nanotui.engine.results import AgentResult, CheckResult, ToolCallRecord
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.tasks.model import Task
from nanotui.engine.agent.tool_defs import TOOL_NAMES
from nanotui.engine.agent.tools import ToolBox

REFERENCE_KEYS = ("answer", "turns", "calls")


@dataclass
class Solution:
    answer: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    turns: int | None = None


def load_reference(task: Task) -> Solution:
    """The task's reference solution; ConfigError (file: field: what) if it is malformed."""
    from nanotui.engine.tasks.format import display

    if task.reference is None:
        raise ConfigError(f"{display(task.source)}: reference: the task has no reference solution")
    where = display(task.reference)
    try:
        data = loads_toml(task.reference.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: file: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: toml: invalid TOML: {exc}") from None
    except DataFileError as exc:
        raise ConfigError(f"{where}: toml: {exc}") from None
    unknown = sorted(set(data) - set(REFERENCE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}: unknown key (expected one of {', '.join(REFERENCE_KEYS)})")
    answer = data.get("answer")
    if not isinstance(answer, str):
        raise ConfigError(f"{where}: answer: expected a string (the final answer)")
    turns = data.get("turns")
    if turns is not None and (isinstance(turns, bool) or not isinstance(turns, int) or turns < 1):
        raise ConfigError(f"{where}: turns: expected a whole number of at least 1")
    calls = []
    for i, raw in enumerate(data.get("calls", []), start=1):
        if not isinstance(raw, dict) or raw.get("tool") not in TOOL_NAMES:
            raise ConfigError(f"{where}: calls[{i}].tool: expected one of {', '.join(TOOL_NAMES)}")
        calls.append((raw["tool"], {k: v for k, v in raw.items() if k != "tool"}))
    return Solution(answer, calls, turns)


def replay(task: Task, solution: Solution, variables: dict[str, str] | None = None) -> tuple[AgentResult, list[CheckResult]]:
    """Run ``solution``'s tool calls on a fresh workspace copy, then the task's checks."""
    sandbox = Sandbox.create(task.workspace, prefix="nanotui-reference-")
    try:
        box = ToolBox(sandbox, read_only=task.read_only)
        result = AgentResult("reference", "reference:solution", "reference solution")
        for i, (name, args) in enumerate(solution.calls, start=1):
            outcome = box.call(name, args)
            result.tool_calls.append(
                ToolCallRecord(f"ref_{i}", name, dict(args), outcome.ok, len(outcome.content), outcome.content[:200])
            )
        result.final_answer = solution.answer
        result.turns = solution.turns or len(solution.calls) + 1
        result.files_changed = sandbox.files_changed()
        return result, run_checks(task, result, sandbox.root, task.workspace, variables)
    finally:
        sandbox.cleanup()


def reference_problems(task: Task) -> list[str]:
    """One line per check the reference solution fails (empty when it passes them all)."""
    from nanotui.engine.tasks.format import display

    if task.reference is None:
        return []
    try:
        solution = load_reference(task)
    except ConfigError as exc:
        return [str(exc)]
    _, checks = replay(task, solution)
    return [
        f"{display(task.reference)}: reference: fails check '{c.name}': {c.detail}" for c in checks if not c.passed
    ]
