"""The preview beside the task ladder: the rendered prompt, the checks and the fixture files."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from nanotui.engine.errors import NanotuiError

MAX_FIXTURE_FILES = 40


LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s")


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph so the preview wraps at its own width;
    list items, indented lines and lines after a blank stay where they are."""
    out: list[str] = []
    for line in text.splitlines():
        joinable = (
            out
            and out[-1].strip()
            and line.strip()
            and not LIST_ITEM.match(line)
            and not line.startswith((" ", "\t", "{", "[", "`"))
            and not out[-1].lstrip().startswith(("{", "`"))
        )
        if joinable:
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def _size(n: int) -> str:
    return f"{n:,} B" if n < 10_000 else f"{n / 1024:,.0f} KiB"


def _check_line(check: Any) -> Text:
    kind = getattr(check, "type", "?")
    line = Text.assemble(("  • ", "dim"), (str(check.name), "bold"), (f"  {kind}", "dim"))
    if kind == "command":
        line.append("  runs code", "italic")
    return line


def task_summary(task: Any) -> Group:
    heading = Text.assemble((task.title, "bold"), ("  ", ""), (task.id, "dim"), (f"  level {task.level}", "dim"))
    flags = []
    if getattr(task, "read_only", False):
        flags.append("read-only workspace")
    if task.has_command_check:
        flags.append("⚙ runs a command check on the agent's files")
    parts: list[Any] = [heading]
    if flags:
        parts.append(Text(" · ".join(flags), style="italic"))
    try:
        prompt = Text(reflow(task.render()))
        checks = task.rendered_checks()
    except NanotuiError as exc:
        return Group(heading, Text(str(exc), style="bold red"))
    tools = task.tools_needed
    parts.append(Text("tools: " + (", ".join(tools) if tools else "none needed"), style="dim"))
    parts += [Text(""), Text("Prompt", style="bold underline"), prompt]
    parts += [Text(""), Text(f"Checks ({len(task.checks)})", style="bold underline")]
    parts += [_check_line(c) for c in checks] or [Text("  none — judged on the answer alone", style="dim")]
    files = task.fixture_files()
    parts += [Text(""), Text(f"Workspace files ({len(files)})", style="bold underline")]
    if not files:
        parts.append(Text("  empty workspace", style="dim"))
    for rel, size in files[:MAX_FIXTURE_FILES]:
        parts.append(Text.assemble(f"  {rel}", (f"  {_size(size)}", "dim")))
    if len(files) > MAX_FIXTURE_FILES:
        parts.append(Text(f"  … and {len(files) - MAX_FIXTURE_FILES} more", style="dim"))
    return Group(*parts)


class TaskPreview(VerticalScroll):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Preview"
        self.shown: Any | None = None  # the task on show

    def compose(self) -> ComposeResult:
        yield Static(Text("Pick a task on the left.", style="dim"), id="task-preview-body")

    def show(self, task: Any | None) -> None:
        body = self.query_one("#task-preview-body", Static)
        self.shown = task
        if task is None:
            body.update(Text("No task matches the filter.", style="dim"))
        else:
            body.update(task_summary(task))
        self.scroll_home(animate=False)
