"""Checks on the agent's workspace copy: files that exist, are absent, contain or equal something, or are unchanged.

Each function takes the check context and the check's parameters and returns (passed, detail)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nanotui.engine.tasks.checks.compare import field_equals, first_difference, fold, normalise_text, parse_json, preview, read_text, regex_flags, show, workspace_file
from nanotui.engine.tasks.checks.spec import CheckContext


Check = Callable[[CheckContext, dict[str, Any]], tuple[bool, str]]


def on_file_text(check: Callable[[str, dict[str, Any]], tuple[bool, str]]) -> Check:
    """A check on the text of the file ``path``: a missing file or a folder fails it first."""

    def run(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
        text, why = read_text(ctx, p["path"])
        return (False, why) if text is None else check(text, p)

    return run


def file_exists(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    path = workspace_file(ctx, p["path"])
    if path.is_file():
        return True, f"{p['path']} exists ({path.stat().st_size} bytes)"
    return False, f"{p['path']} is a directory, not a file" if path.is_dir() else f"{p['path']} does not exist"


def file_absent(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    path = workspace_file(ctx, p["path"])
    if path.exists() or path.is_symlink():
        return False, f"{p['path']} exists"
    return True, f"{p['path']} does not exist"


@on_file_text
def file_contains(text: str, p: dict[str, Any]) -> tuple[bool, str]:
    if fold(p["value"], p["ignore_case"]) in fold(text, p["ignore_case"]):
        return True, f"{p['path']} contains {show(p['value'])}"
    return False, f"{show(p['value'])} not found in {p['path']}"


@on_file_text
def file_regex(text: str, p: dict[str, Any]) -> tuple[bool, str]:
    m = re.search(p["pattern"], text, regex_flags(p))
    if m:
        return True, f"{p['path']} matches: {preview(m.group(0), 60)}"
    return False, f"no match for /{p['pattern']}/ in {p['path']}"


@on_file_text
def file_equals(text: str, p: dict[str, Any]) -> tuple[bool, str]:
    got, want = normalise_text(text), normalise_text(p["value"])
    if got == want:
        return True, f"{p['path']} has the expected content"
    return False, f"{p['path']}: {first_difference(got, want)}"


@on_file_text
def json_file_field_equals(text: str, p: dict[str, Any]) -> tuple[bool, str]:
    doc, error = parse_json(text)
    if error is not None:
        return False, f"{p['path']} is not JSON ({error})"
    return field_equals(doc, p, p["path"])


def file_unchanged(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    if ctx.original_root is None:
        return False, "no original workspace to compare with"
    original = workspace_file(ctx, p["path"], ctx.original_root)
    current = workspace_file(ctx, p["path"])
    if not original.is_file():
        return False, f"{p['path']} is not in the original workspace"
    if not current.is_file():
        return False, f"{p['path']} was deleted"
    if original.read_bytes() != current.read_bytes():
        return False, f"{p['path']} was changed"
    return True, f"{p['path']} is unchanged"
