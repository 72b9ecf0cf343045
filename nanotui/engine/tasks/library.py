"""The task library: task files (the ladder and the user's own) merged into one set by id.

Where tasks come from, later overriding earlier by id:
1. the built-in ladder (``tasks/`` in a checkout; a wheel carries it as ``nanotui/builtin/tasks``),
2. the user's config folder (``config_dir()/tasks``),
3. ``./tasks`` in the current working directory.

A broken file never hides the rest of the library: it is left out and its problems are
kept in :attr:`TaskLibrary.problems` (``nanotui tasks validate`` prints them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nanotui.engine.errors import ConfigError, did_you_mean
from nanotui.engine.paths import builtin_dir
from nanotui.engine.tasks.format import display, parse_task_file
from nanotui.engine.tasks.model import TASK_FILE_NAMES, Task

NOT_TASK_FILES = frozenset({"readme", "changelog", "license", "contributing"})
SUITE_SUFFIX = ".suite.toml"


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
        close = did_you_mean(task_id, self.ids)
        close = f"; {close}" if close else ""
        raise ConfigError(f"unknown task {task_id!r}{close}; see `nanotui tasks`{hint}")

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tasks]


def builtin_tasks_dir() -> Path:
    return builtin_dir("tasks")


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
        if entry.name.endswith(SUITE_SUFFIX):
            continue  # a suite file (nanotui.engine.run.suite), not a task
        if entry.is_file() and entry.suffix in (".md", ".toml") and entry.stem.lower() not in NOT_TASK_FILES:
            found.append(entry)
        elif entry.is_dir():
            found += [entry / name for name in TASK_FILE_NAMES if (entry / name).is_file()]
    return found


def _load_folder(origin: str, folder: Path, problems: list[str]) -> list[Task]:
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
    problems: list[str] = []
    for path in paths:
        if not path.exists():
            what = "a symlink loop or a link to nothing" if path.is_symlink() else "no such file or folder"
            problems.append(f"{display(path)}: {what}")
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
