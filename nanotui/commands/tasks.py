"""``nanotui tasks``: list the task library, show one task, validate task files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nanotui.commands.args import help_text, key_value
from nanotui.commands.format import table
from nanotui.engine.numbers import count
from nanotui.engine.tasks.checks.kinds import CHECK_KINDS
from nanotui.engine.tasks.library import load_library, validate_paths
from nanotui.engine.tasks.model import Task

COMMAND_MARK = "*"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("tasks", help="list, show and validate tasks", description=help_text(__doc__))
    actions = p.add_subparsers(dest="tasks_action", metavar="ACTION", parser_class=type(p))
    show = actions.add_parser("show", help="a task's rendered prompt, checks and fixture files")
    show.add_argument("task_id", metavar="ID", help="task id from `nanotui tasks`")
    show.add_argument("--var", action="append", type=key_value, default=[], metavar="KEY=VALUE",
                      help="set a task variable")
    validate = actions.add_parser("validate", help="check task files; exit 1 on any problem")
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                          help="task files or folders (default: the whole library)")
    validate.add_argument("--reference", action="store_true",
                          help="also replay each task's reference solution and require it to pass every check")
    return p


def _indent(text: str) -> list[str]:
    return [f"  {line}" if line.strip() else "" for line in text.splitlines()]


def _checks_cell(task: Task) -> str:
    return f"{len(task.checks)}{COMMAND_MARK if task.has_command_check else ''}"


def _warn_problems(problems: list[str]) -> None:
    files = list(dict.fromkeys(line.split(": ", 1)[0] for line in problems))
    if files:
        print(f"nanotui: left out {len(files)} task file(s) with problems: {', '.join(files)} "
              "(run `nanotui tasks validate` for details)", file=sys.stderr)


def list_tasks() -> int:
    library = load_library()
    rows = [
        [t.id, str(t.level), t.title, ", ".join(t.tools_needed) or "-", _checks_cell(t), t.origin]
        for t in library.tasks
    ]
    print(table(["id", "level", "title", "tools", "checks", "from"], rows, right={1}))
    if any(t.has_command_check for t in library.tasks):
        print(f"\n{COMMAND_MARK} runs a command check: model-written code runs in a subprocess "
              "(timeout, no network, scrubbed environment)")
    _warn_problems(library.problems)
    return 0


def show_task(task_id: str, overrides: dict[str, str]) -> int:
    library = load_library()
    task = library.get(task_id)
    prompt = task.render(overrides)
    values = task.resolve_variables(overrides)
    out = [
        f"{task.id}  (level {task.level})  {task.title}",
        f"file:       {task.source}",
        f"from:       {task.origin}" + (" (overrides a task of the same id)" if task.id in library.overridden else ""),
        f"workspace:  {task.workspace or '(empty folder)'}" + ("  [read-only]" if task.read_only else ""),
        f"limits:     max turns {task.max_turns or 'default'}, timeout {f'{task.timeout_s:g} s' if task.timeout_s else 'default'}",
        f"tools:      {', '.join(task.tools_needed) or '-'}",
    ]
    if values:
        out.append("variables:  " + ", ".join(f"{k}={v!r}" for k, v in values.items()))
    out += ["", "prompt:", *_indent(prompt), "", f"checks ({len(task.checks)}):"]
    for check in task.rendered_checks(overrides):
        mark = f" {COMMAND_MARK}" if check.is_command else ""
        group = CHECK_KINDS[check.type].group
        out.append(f"  - [{group}] {check.name}  ({check.type}){mark}")
    files = task.fixture_files()
    out += ["", f"fixture files ({len(files)}):"]
    out += [f"  {size:>9}  {rel}" for rel, size in files] or ["  (none: the workspace starts empty)"]
    rubric = task.render_rubric(overrides)
    if rubric:
        out += ["", "rubric:", *_indent(rubric)]
    print("\n".join(out))
    return 0


def validate(paths: list[Path], reference: bool) -> int:
    from nanotui.engine.tasks.format import display
    from nanotui.engine.tasks.library import library_folders

    if not paths:
        paths = [folder for _, folder in library_folders() if folder.is_dir()]
    problems = validate_paths(paths)
    checked = 0
    if reference and not problems:
        from nanotui.engine.tasks.format import parse_task_file
        from nanotui.engine.tasks.library import task_files
        from nanotui.engine.tasks.reference import reference_problems

        for path in paths:
            for file in task_files(path):
                task, _ = parse_task_file(file)
                if task is not None and task.reference is not None:
                    problems += reference_problems(task)
                    checked += 1
    for line in problems:
        print(line)
    where = ", ".join(display(p) for p in paths)
    if problems:
        print(f"nanotui: {len(problems)} problem(s) in {where}", file=sys.stderr)
        return 1
    note = ""
    if reference:
        note = (f"; {count(checked, 'reference solution')} {'passes' if checked == 1 else 'pass'} every check"
                if checked else "; no task here has a reference solution to replay")
    print(f"ok: no problems in {where}{note}")
    return 0


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "tasks_action", None)
    if action == "show":
        return show_task(args.task_id, dict(args.var))
    if action == "validate":
        return validate(args.paths, args.reference)
    return list_tasks()
