"""A task: its prompt template and variables, its workspace fixture, limits, checks and rubric."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nanotui.engine.agent.tool_defs import TOOL_NAMES
from nanotui.engine.errors import ConfigError
from nanotui.engine.tasks.checks.spec import CheckSpec

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TASK_FILE_NAMES = ("task.md", "task.toml")


def substitute(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{{name}}`` replaced; a name not in ``values`` raises KeyError."""
    return VARIABLE.sub(lambda m: values[m.group(1)], template)


def variables_in(value: Any) -> set[str]:
    """Every ``{{name}}`` used in a string, or in the strings inside a list or table."""
    if isinstance(value, str):
        return set(VARIABLE.findall(value))
    if isinstance(value, list):
        return set().union(*(variables_in(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(variables_in(v) for v in value.values())) if value else set()
    return set()


def substitute_all(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return substitute(value, values)
    if isinstance(value, list):
        return [substitute_all(v, values) for v in value]
    if isinstance(value, dict):
        return {k: substitute_all(v, values) for k, v in value.items()}
    return value


@dataclass
class Task:
    id: str
    title: str
    level: int
    prompt: str  # template: {{variables}} are filled by render()
    variables: dict[str, str]  # name -> default value
    workspace: Path | None  # the fixture folder each agent gets a copy of (absolute)
    read_only: bool
    max_turns: int | None
    timeout_s: float | None
    checks: list[CheckSpec]
    rubric: str  # for the judge: what S and what F look like on this task
    source: Path  # the task file
    origin: str = "path"  # builtin | config | cwd | path
    tools: list[str] = field(default_factory=list)  # as declared in the file
    reference: Path | None = None  # reference solution file, if the task has one

    @property
    def has_command_check(self) -> bool:
        return any(c.is_command for c in self.checks)

    @property
    def tools_needed(self) -> list[str]:
        """The tools the file declares, else those its tool_used checks ask for."""
        named = set(self.tools) or {c.params["tool"] for c in self.checks if c.type == "tool_used"}
        return [t for t in TOOL_NAMES if t in named]

    def resolve_variables(self, overrides: dict[str, str] | None = None) -> dict[str, str]:
        overrides = dict(overrides or {})
        for name in overrides:
            if name not in self.variables:
                have = ", ".join(sorted(self.variables)) or "none"
                raise ConfigError(f"task '{self.id}' has no variable {name!r}", field="var", value=name,
                                  expected=f"one of its variables: {have}")
        return {**self.variables, **overrides}

    def render(self, overrides: dict[str, str] | None = None) -> str:
        """The prompt with its variables filled: defaults, then ``overrides`` (``--var``)."""
        return self._fill("prompt", self.prompt, overrides)

    def render_rubric(self, overrides: dict[str, str] | None = None) -> str:
        """The rubric with its variables filled, as the judge should see it."""
        return self._fill("rubric", self.rubric, overrides)

    def _fill(self, field_name: str, template: str, overrides: dict[str, str] | None) -> str:
        values = self.resolve_variables(overrides)
        try:
            return substitute(template, values)
        except KeyError as exc:
            raise ConfigError(
                f"{self.source}: {field_name}: uses {{{{{exc.args[0]}}}}} but [variables] does not define it"
            ) from None

    def rendered_checks(self, overrides: dict[str, str] | None = None) -> list[CheckSpec]:
        values = self.resolve_variables(overrides)
        try:
            return [CheckSpec(c.type, substitute(c.name, values), substitute_all(c.params, values)) for c in self.checks]
        except KeyError as exc:
            raise ConfigError(
                f"{self.source}: checks: use {{{{{exc.args[0]}}}}} but [variables] does not define it"
            ) from None

    def fixture_files(self) -> list[tuple[str, int]]:
        """(relative path, size) of every file in the workspace fixture, sorted."""
        if self.workspace is None or not self.workspace.is_dir():
            return []
        return sorted(
            (p.relative_to(self.workspace).as_posix(), p.stat().st_size)
            for p in self.workspace.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )
