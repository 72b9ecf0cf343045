"""The function behind each check type (answer, workspace, behaviour, command): (passed, detail)."""

from __future__ import annotations

import re
from typing import Any

from nanotui.engine.checks_compare import (
    _call_matches,
    _field_equals,
    _first_difference,
    _flags,
    _fold,
    _parse_json,
    _preview,
    _read_text,
    _show,
    _workspace_file,
    normalise_text,
)
from nanotui.engine.checks_spec import CheckContext
from nanotui.engine.secrets import redact


# -- answer checks ------------------------------------------------------------------------


def _exact(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    got, want = normalise_text(ctx.answer), normalise_text(p["value"])
    if _fold(got, p["ignore_case"]) == _fold(want, p["ignore_case"]):
        return True, "answer matches exactly"
    if not got:
        return False, "the answer is empty"
    return False, _first_difference(got, want)


def _contains(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    found = _fold(p["value"], p["ignore_case"]) in _fold(ctx.answer, p["ignore_case"])
    if found:
        return True, f"answer contains {_show(p['value'])}"
    return False, f"{_show(p['value'])} not found in the answer {_preview(ctx.answer)}"


def _not_contains(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    found = _fold(p["value"], p["ignore_case"]) in _fold(ctx.answer, p["ignore_case"])
    if found:
        return False, f"the answer contains {_show(p['value'])}"
    return True, f"answer does not contain {_show(p['value'])}"


def _regex(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    m = re.search(p["pattern"], ctx.answer, _flags(p))
    if m:
        return True, f"matched {_preview(m.group(0), 60)}"
    return False, f"no match for /{p['pattern']}/ in the answer {_preview(ctx.answer)}"


def _not_regex(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    m = re.search(p["pattern"], ctx.answer, _flags(p))
    if m:
        return False, f"the answer matches /{p['pattern']}/: {_preview(m.group(0), 60)}"
    return True, f"no match for /{p['pattern']}/"


def _is_json(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    doc, error = _parse_json(ctx.answer)
    if error is not None:
        return False, f"the answer is not JSON ({error}): {_preview(ctx.answer)}"
    kind = p["kind"]
    if kind == "object" and not isinstance(doc, dict):
        return False, f"expected a JSON object, got {type(doc).__name__}"
    if kind == "array" and not isinstance(doc, list):
        return False, f"expected a JSON array, got {type(doc).__name__}"
    keys = p.get("keys")
    if keys is not None:
        if not isinstance(doc, dict):
            return False, f"expected a JSON object with keys {_show(keys)}, got {type(doc).__name__}"
        missing = [k for k in keys if k not in doc]
        extra = [k for k in doc if k not in keys]
        if missing or extra:
            parts = ([f"missing {_show(missing)}"] if missing else []) + ([f"unexpected {_show(extra)}"] if extra else [])
            return False, "keys: " + ", ".join(parts)
    return True, "answer is valid JSON"


def _json_field_equals(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    doc, error = _parse_json(ctx.answer)
    if error is not None:
        return False, f"the answer is not JSON ({error}): {_preview(ctx.answer)}"
    return _field_equals(doc, p, "answer")


# -- workspace checks ---------------------------------------------------------------------


def _file_exists(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    path = _workspace_file(ctx, p["path"])
    if path.is_file():
        return True, f"{p['path']} exists ({path.stat().st_size} bytes)"
    return False, f"{p['path']} is a directory, not a file" if path.is_dir() else f"{p['path']} does not exist"


def _file_absent(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    path = _workspace_file(ctx, p["path"])
    if path.exists() or path.is_symlink():
        return False, f"{p['path']} exists"
    return True, f"{p['path']} does not exist"


def _file_contains(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    text, why = _read_text(ctx, p["path"])
    if text is None:
        return False, why
    if _fold(p["value"], p["ignore_case"]) in _fold(text, p["ignore_case"]):
        return True, f"{p['path']} contains {_show(p['value'])}"
    return False, f"{_show(p['value'])} not found in {p['path']}"


def _file_regex(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    text, why = _read_text(ctx, p["path"])
    if text is None:
        return False, why
    m = re.search(p["pattern"], text, _flags(p))
    if m:
        return True, f"{p['path']} matches: {_preview(m.group(0), 60)}"
    return False, f"no match for /{p['pattern']}/ in {p['path']}"


def _file_equals(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    text, why = _read_text(ctx, p["path"])
    if text is None:
        return False, why
    got, want = normalise_text(text), normalise_text(p["value"])
    if got == want:
        return True, f"{p['path']} has the expected content"
    return False, f"{p['path']}: {_first_difference(got, want)}"


def _json_file_field_equals(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    text, why = _read_text(ctx, p["path"])
    if text is None:
        return False, why
    doc, error = _parse_json(text)
    if error is not None:
        return False, f"{p['path']} is not JSON ({error})"
    return _field_equals(doc, p, p["path"])


def _file_unchanged(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    if ctx.original_root is None:
        return False, "no original workspace to compare with"
    original = _workspace_file(ctx, p["path"], ctx.original_root)
    current = _workspace_file(ctx, p["path"])
    if not original.is_file():
        return False, f"{p['path']} is not in the original workspace"
    if not current.is_file():
        return False, f"{p['path']} was deleted"
    if original.read_bytes() != current.read_bytes():
        return False, f"{p['path']} was changed"
    return True, f"{p['path']} is unchanged"


# -- behaviour checks ---------------------------------------------------------------------


def _tool_used(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    want_args = p.get("args") or {}
    calls = [c for c in ctx.result.tool_calls if c.name == p["tool"]]
    good = [c for c in calls if c.ok and _call_matches(c.arguments, want_args)]
    needed = p["min_times"]
    where = f" with {_show(want_args)}" if want_args else ""
    if len(good) >= needed:
        return True, f"{p['tool']}{where} succeeded {len(good)} time(s)"
    if not calls:
        return False, f"{p['tool']} was never called"
    return False, f"{p['tool']}{where} succeeded {len(good)} time(s), expected at least {needed} ({len(calls)} call(s) in all)"


def _tool_not_used(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    calls = [c for c in ctx.result.tool_calls if c.name == p["tool"]]
    if calls:
        first = calls[0].arguments.get("file_path") or calls[0].arguments.get("directory_path") or ""
        return False, f"{p['tool']} was called {len(calls)} time(s)" + (f", first on {first!r}" if first else "")
    return True, f"{p['tool']} was not called"


def _max_turns(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    turns = ctx.result.turns
    if turns <= p["max"]:
        return True, f"{turns} turn(s), at most {p['max']} allowed"
    return False, f"{turns} turns, at most {p['max']} allowed"


# -- command check ------------------------------------------------------------------------


def _command(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    from nanotui.engine.task_command import command_argv, run_isolated

    outcome = run_isolated(command_argv(p["command"]), ctx.workspace_root, float(p["timeout_s"]))
    note = "" if outcome.isolated else f" [{outcome.isolation_note}]"
    tail = redact(outcome.tail(400))
    if outcome.error:
        return False, outcome.error + note
    if outcome.timed_out:
        return False, f"timed out after {p['timeout_s']:g} s{note}: {_preview(tail, 300)}"
    if outcome.exit_code != p["expect_exit"]:
        return False, f"exit {outcome.exit_code}, expected {p['expect_exit']}{note}: {_preview(tail, 300)}"
    pattern = p.get("output_regex")
    if pattern and not re.search(pattern, outcome.output):
        return False, f"exit {outcome.exit_code} but the output does not match /{pattern}/{note}: {_preview(tail, 300)}"
    return True, f"exit {outcome.exit_code}{note}"
