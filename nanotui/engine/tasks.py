"""The task library: task files (the ladder and the user's own) merged into one set by id.

Where tasks come from, later overriding earlier by id:
1. the built-in ladder shipped inside the package (``nanotui/builtin/tasks``),
2. the user's config folder (``config_dir()/tasks``),
3. ``./tasks`` in the current working directory.

A broken file never hides the rest of the library: it is left out and its problems are
kept in :attr:`TaskLibrary.problems` (``nanotui tasks validate`` prints them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from nanotui.engine.checks import CheckSpec
from nanotui.engine.errors import ConfigError
from nanotui.engine.tools import TOOL_NAMES

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TASK_FILE_NAMES = ("task.md", "task.toml")
NOT_TASK_FILES = frozenset({"readme", "changelog", "license", "contributing"})


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


def _substitute_all(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return substitute(value, values)
    if isinstance(value, list):
        return [_substitute_all(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_all(v, values) for k, v in value.items()}
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
                raise ConfigError(f"--var {name}: task '{self.id}' has no variable {name!r} (its variables: {have})")
        return {**self.variables, **overrides}

    def render(self, overrides: dict[str, str] | None = None) -> str:
        """The prompt with its variables filled: defaults, then ``overrides`` (``--var``)."""
        values = self.resolve_variables(overrides)
        try:
            return substitute(self.prompt, values)
        except KeyError as exc:
            raise ConfigError(
                f"{self.source}: prompt: uses {{{{{exc.args[0]}}}}} but [variables] does not define it"
            ) from None

    def render_rubric(self, overrides: dict[str, str] | None = None) -> str:
        """The rubric with its variables filled, as the judge should see it."""
        values = self.resolve_variables(overrides)
        try:
            return substitute(self.rubric, values)
        except KeyError as exc:
            raise ConfigError(
                f"{self.source}: rubric: uses {{{{{exc.args[0]}}}}} but [variables] does not define it"
            ) from None

    def rendered_checks(self, overrides: dict[str, str] | None = None) -> list[CheckSpec]:
        values = self.resolve_variables(overrides)
        try:
            return [CheckSpec(c.type, substitute(c.name, values), _substitute_all(c.params, values)) for c in self.checks]
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


@dataclass
class TaskLibrary:
    tasks: list[Task]  # sorted by level, then id
    problems: list[str] = field(default_factory=list)  # one line per problem in files left out
    folders: list[tuple[str, Path]] = field(default_factory=list)  # (origin, folder) searched, in order
    overridden: dict[str, list[Path]] = field(default_factory=dict)  # id -> task files it replaced

    def get(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        hint = ""
        if self.problems:
            hint = f" ({len(self.problems)} problem(s) in task files kept some out; run `nanotui tasks validate`)"
        raise ConfigError(f"unknown task {task_id!r}; see `nanotui tasks`{hint}")

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tasks]


def builtin_tasks_dir() -> Path:
    return Path(str(resources.files("nanotui.builtin").joinpath("tasks")))


def library_folders(extra_dirs: list[Path] | None = None) -> list[tuple[str, Path]]:
    from nanotui.engine.paths import config_dir

    folders = [("builtin", builtin_tasks_dir()), ("config", config_dir() / "tasks"), ("cwd", Path.cwd() / "tasks")]
    folders += [("path", Path(d)) for d in extra_dirs or []]
    seen: set[Path] = set()
    unique = []
    for origin, folder in folders:
        key = folder.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((origin, folder))
    return unique


def discover(folder: Path) -> list[Path]:
    """Task files in a folder: ``NAME.md`` / ``NAME.toml`` directly in it (not README.md),
    and ``NAME/task.md`` / ``NAME/task.toml`` one level down (a task with its fixtures)."""
    found: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.suffix in (".md", ".toml") and entry.stem.lower() not in NOT_TASK_FILES:
            found.append(entry)
        elif entry.is_dir():
            found += [entry / name for name in TASK_FILE_NAMES if (entry / name).is_file()]
    return found


def _load_folder(origin: str, folder: Path, problems: list[str]) -> list[Task]:
    from nanotui.engine.task_format import display, parse_task_file

    try:
        files = discover(folder)
    except OSError as exc:
        problems.append(f"{display(folder)}: cannot list the folder ({exc.strerror or exc})")
        return []
    tasks: dict[str, Task] = {}
    for path in files:
        task, file_problems = parse_task_file(path, origin)
        problems += file_problems
        if task is None:
            continue
        if task.id in tasks:
            problems.append(f"{display(path)}: id: '{task.id}' is already used by {display(tasks[task.id].source)}")
            continue
        tasks[task.id] = task
    return list(tasks.values())


def load_library(extra_dirs: list[Path] | None = None) -> TaskLibrary:
    by_id: dict[str, Task] = {}
    problems: list[str] = []
    overridden: dict[str, list[Path]] = {}
    folders = library_folders(extra_dirs)
    for origin, folder in folders:
        if not folder.is_dir():
            continue
        for task in _load_folder(origin, folder, problems):
            if task.id in by_id:
                overridden.setdefault(task.id, []).append(by_id[task.id].source)
            by_id[task.id] = task
    tasks = sorted(by_id.values(), key=lambda t: (t.level, t.id))
    return TaskLibrary(tasks, problems, folders, overridden)


def task_files(path: Path) -> list[Path]:
    if path.is_dir():
        own = [path / name for name in TASK_FILE_NAMES if (path / name).is_file()]
        return own or discover(path)
    return [path]


def validate_paths(paths: list[Path]) -> list[str]:
    """Every problem in the task files at ``paths`` (files, task folders or library
    folders), one line each naming the file and the field. Empty means all is well."""
    from nanotui.engine.task_format import display, parse_task_file

    problems: list[str] = []
    for path in paths:
        if not path.exists():
            problems.append(f"{display(path)}: no such file or folder")
            continue
        try:
            files = task_files(path)
        except OSError as exc:
            problems.append(f"{display(path)}: cannot list the folder ({exc.strerror or exc})")
            continue
        if not files:
            problems.append(
                f"{display(path)}: no task files found (expected NAME.md or NAME.toml files, or NAME/task.md folders)"
            )
            continue
        seen: dict[str, Path] = {}
        for file in files:
            task, file_problems = parse_task_file(file)
            problems += file_problems
            if task is None:
                continue
            if task.id in seen:
                problems.append(f"{display(file)}: id: '{task.id}' is already used by {display(seen[task.id])}")
            seen[task.id] = file
    return problems
