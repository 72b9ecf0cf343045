"""Deterministic checks a machine can verify, run on each agent's result after its run:
on the final answer, on the agent's workspace copy, on its behaviour, and (optionally) a
command run in the copy. A check never raises: any problem is a failed check with a detail.

Each check type declares its parameters here; task validation (``nanotui tasks validate``)
and the task format docs read the same table, so a type and its rules live in one place.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nanotui.engine.results import AgentResult, CheckResult
from nanotui.engine.secrets import redact

if TYPE_CHECKING:
    from nanotui.engine.tasks import Task

PREVIEW_CHARS = 80
JSON_SCALARS = (str, int, float, bool, list, dict)


@dataclass(frozen=True)
class CheckSpec:
    """One check as written in a task file: its type, its display name and its parameters."""

    type: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_command(self) -> bool:
        return self.type == "command"


@dataclass
class CheckContext:
    answer: str
    result: AgentResult
    workspace_root: Path
    original_root: Path | None


# -- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    types: tuple[type, ...]
    required: bool = True
    default: Any = None
    role: str = ""  # "regex" | "path" | "command" | "field": extra validation in tasks.py

    def type_ok(self, value: Any) -> bool:
        # TOML has real booleans; True is an int in Python but never a number here.
        if isinstance(value, bool):
            return bool in self.types
        if isinstance(value, int) and float in self.types:
            return True
        return isinstance(value, self.types)

    def type_names(self) -> str:
        names = {str: "string", int: "integer", float: "number", bool: "true/false",
                 list: "array", dict: "table"}
        return " or ".join(names[t] for t in self.types)


def _p(*types: type, role: str = "") -> Param:
    return Param(types, role=role)


def _opt(default: Any, *types: type, role: str = "") -> Param:
    return Param(types, required=False, default=default, role=role)


IGNORE_CASE = _opt(False, bool)


@dataclass(frozen=True)
class CheckKind:
    type: str
    group: str  # answer | workspace | behaviour | command
    summary: str  # one line for the docs and `nanotui tasks show`
    params: dict[str, Param]
    run: Callable[[CheckContext, dict[str, Any]], tuple[bool, str]]
    default_name: Callable[[dict[str, Any]], str]


# -- helpers ------------------------------------------------------------------------------


def _preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A short, one-line quote of ``text`` for a detail (newlines shown as \\n)."""
    one_line = text.replace("\r", "").replace("\n", "\\n")
    return '"' + one_line[:limit] + ("…" if len(one_line) > limit else "") + '"'


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def normalise_text(text: str) -> str:
    """Line endings unified, trailing spaces on each line and blank lines around the text
    dropped: differences no reader can see do not fail an exact comparison."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def _fold(text: str, ignore_case: bool) -> str:
    return text.casefold() if ignore_case else text


def _flags(params: dict[str, Any]) -> int:
    return re.IGNORECASE if params.get("ignore_case") else 0


def _first_difference(got: str, want: str) -> str:
    got_lines, want_lines = got.split("\n"), want.split("\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines), start=1):
        if g != w:
            return f"line {i} differs: got {_preview(g)}, expected {_preview(w)}"
    return f"got {len(got_lines)} line(s), expected {len(want_lines)}"


class _FieldMissing(Exception):
    pass


def field_path(text: str) -> list[str | int]:
    """``"by_type.int"`` -> ``["by_type", "int"]``; digits index arrays: ``"items.0.name"``."""
    return [int(part) if part.isdigit() else part for part in text.split(".")]


def _lookup(doc: Any, path: str) -> Any:
    node = doc
    walked: list[str] = []
    for part in field_path(path):
        if isinstance(part, int) and isinstance(node, list):
            if part >= len(node):
                raise _FieldMissing(f"{'.'.join(walked) or 'the document'} has only {len(node)} item(s)")
            node = node[part]
        elif isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        else:
            where = ".".join(walked) or "the top level"
            kind = "an object" if isinstance(node, dict) else f"a {type(node).__name__}"
            raise _FieldMissing(f"no field {str(part)!r} at {where} ({kind})")
        walked.append(str(part))
    return node


def _values_equal(got: Any, want: Any, params: dict[str, Any]) -> bool:
    if isinstance(got, bool) or isinstance(want, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        tolerance = float(params.get("tolerance") or 0.0)
        return math.isclose(float(got), float(want), rel_tol=0.0, abs_tol=tolerance) if tolerance else got == want
    if isinstance(want, str) and isinstance(got, str):
        return _fold(got.strip(), params.get("ignore_case", False)) == _fold(want.strip(), params.get("ignore_case", False))
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(_values_equal(g, w, params) for g, w in zip(got, want))
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(_values_equal(got[k], want[k], params) for k in want)
    return False


def _field_equals(doc: Any, params: dict[str, Any], what: str) -> tuple[bool, str]:
    try:
        got = _lookup(doc, params["field"])
    except _FieldMissing as exc:
        return False, f"{what}: {exc}"
    want = params["value"]
    if _values_equal(got, want, params):
        return True, f"{params['field']} = {_show(got)}"
    return False, f"{params['field']} is {_show(got)}, expected {_show(want)}"


def _parse_json(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, str(exc)


def _workspace_file(ctx: CheckContext, rel: str, root: Path | None = None) -> Path:
    """The file ``rel`` inside the workspace copy; never a path that escapes it."""
    base = (root or ctx.workspace_root).resolve()
    real = (base / rel).resolve()
    if real != base and base not in real.parents:
        raise ValueError(f"{rel!r} is outside the workspace")
    return real


def _read_text(ctx: CheckContext, rel: str) -> tuple[str | None, str]:
    path = _workspace_file(ctx, rel)
    if not path.is_file():
        return None, f"{rel} does not exist" if not path.exists() else f"{rel} is not a file"
    data = path.read_bytes()
    return data.decode("utf-8", errors="replace"), ""


def _same_path(a: str, b: str) -> bool:
    def norm(p: str) -> str:
        return posixpath.normpath(p.strip().replace("\\", "/")) if p.strip() else "."

    return norm(a) == norm(b)


def _call_matches(args: dict[str, Any], want: dict[str, Any]) -> bool:
    for key, value in want.items():
        got = args.get(key)
        if key.endswith("_path") and isinstance(got, str) and isinstance(value, str):
            if not _same_path(got, value):
                return False
        elif got != value:
            return False
    return True


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


# -- the table of check types -------------------------------------------------------------


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else _show(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _command_text(command: Any) -> str:
    return command if isinstance(command, str) else " ".join(str(c) for c in command)


CHECK_KINDS: dict[str, CheckKind] = {
    k.type: k
    for k in (
        CheckKind("exact", "answer", "the answer equals `value` (trailing spaces and surrounding blank lines ignored)",
                  {"value": _p(str), "ignore_case": IGNORE_CASE}, _exact,
                  lambda p: f"answer is exactly {_short(p['value'])!r}"),
        CheckKind("contains", "answer", "the answer contains `value`",
                  {"value": _p(str), "ignore_case": IGNORE_CASE}, _contains,
                  lambda p: f"answer contains {_short(p['value'])!r}"),
        CheckKind("not_contains", "answer", "the answer does not contain `value`",
                  {"value": _p(str), "ignore_case": IGNORE_CASE}, _not_contains,
                  lambda p: f"answer does not contain {_short(p['value'])!r}"),
        CheckKind("regex", "answer", "the Python regex `pattern` matches somewhere in the answer",
                  {"pattern": _p(str, role="regex"), "ignore_case": IGNORE_CASE}, _regex,
                  lambda p: f"answer matches /{_short(p['pattern'])}/"),
        CheckKind("not_regex", "answer", "the Python regex `pattern` matches nowhere in the answer",
                  {"pattern": _p(str, role="regex"), "ignore_case": IGNORE_CASE}, _not_regex,
                  lambda p: f"answer does not match /{_short(p['pattern'])}/"),
        CheckKind("is_json", "answer",
                  "the whole answer parses as JSON; `kind` = object|array|any, `keys` = the exact keys of the object",
                  {"kind": _opt("any", str), "keys": _opt(None, list)}, _is_json,
                  lambda p: "answer is a JSON object" if p.get("kind") == "object" else "answer is JSON"),
        CheckKind("json_field_equals", "answer",
                  "the answer is JSON and `field` (dotted path, e.g. by_type.int or items.0) equals `value`",
                  {"field": _p(str, role="field"), "value": _p(*JSON_SCALARS), "ignore_case": IGNORE_CASE,
                   "tolerance": _opt(0.0, float)}, _json_field_equals,
                  lambda p: f"answer.{p['field']} == {_short(p['value'])}"),
        CheckKind("file_exists", "workspace", "the file `path` exists in the agent's workspace copy",
                  {"path": _p(str, role="path")}, _file_exists,
                  lambda p: f"{p['path']} exists"),
        CheckKind("file_absent", "workspace", "nothing exists at `path` in the agent's workspace copy",
                  {"path": _p(str, role="path")}, _file_absent,
                  lambda p: f"{p['path']} does not exist"),
        CheckKind("file_contains", "workspace", "the file `path` contains `value`",
                  {"path": _p(str, role="path"), "value": _p(str), "ignore_case": IGNORE_CASE}, _file_contains,
                  lambda p: f"{p['path']} contains {_short(p['value'])!r}"),
        CheckKind("file_regex", "workspace", "the Python regex `pattern` matches in the file `path`",
                  {"path": _p(str, role="path"), "pattern": _p(str, role="regex"), "ignore_case": IGNORE_CASE},
                  _file_regex, lambda p: f"{p['path']} matches /{_short(p['pattern'])}/"),
        CheckKind("file_equals", "workspace", "the file `path` equals `value` (as for exact)",
                  {"path": _p(str, role="path"), "value": _p(str)}, _file_equals,
                  lambda p: f"{p['path']} has the expected content"),
        CheckKind("json_file_field_equals", "workspace", "the file `path` is JSON and `field` equals `value`",
                  {"path": _p(str, role="path"), "field": _p(str, role="field"), "value": _p(*JSON_SCALARS),
                   "ignore_case": IGNORE_CASE, "tolerance": _opt(0.0, float)}, _json_file_field_equals,
                  lambda p: f"{p['path']}: {p['field']} == {_short(p['value'])}"),
        CheckKind("file_unchanged", "workspace", "the file `path` is byte for byte as in the original workspace",
                  {"path": _p(str, role="path")}, _file_unchanged,
                  lambda p: f"{p['path']} unchanged"),
        CheckKind("tool_used", "behaviour",
                  "the tool succeeded at least `min_times` times (default 1), with `args` if given (paths normalised)",
                  {"tool": _p(str, role="tool"), "min_times": _opt(1, int), "args": _opt(None, dict)}, _tool_used,
                  lambda p: f"used {p['tool']}" + (f" on {_short(next(iter(p['args'].values())))}" if p.get("args") else "")),
        CheckKind("tool_not_used", "behaviour", "the tool was never called (not even a refused call)",
                  {"tool": _p(str, role="tool")}, _tool_not_used,
                  lambda p: f"did not use {p['tool']}"),
        CheckKind("max_turns", "behaviour", "the agent took at most `max` turns",
                  {"max": _p(int)}, _max_turns,
                  lambda p: f"at most {p['max']} turn(s)"),
        CheckKind("command", "command",
                  "runs `command` in the agent's workspace copy (timeout, no network, scrubbed environment); "
                  "passes on exit `expect_exit` (default 0) and, if given, output matching `output_regex`",
                  {"command": _p(str, list, role="command"), "timeout_s": _opt(60.0, float),
                   "expect_exit": _opt(0, int), "output_regex": _opt(None, str, role="regex")}, _command,
                  lambda p: f"command: {_short(_command_text(p['command']), 50)}"),
    )
}


def with_defaults(spec: CheckSpec) -> dict[str, Any]:
    kind = CHECK_KINDS[spec.type]
    params = {name: param.default for name, param in kind.params.items() if not param.required}
    params.update(spec.params)
    return params


def run_check(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    try:
        kind = CHECK_KINDS.get(spec.type)
        if kind is None:
            return CheckResult(spec.name, False, f"unknown check type {spec.type!r}")
        passed, detail = kind.run(ctx, with_defaults(spec))
        return CheckResult(spec.name, bool(passed), detail)
    except Exception as exc:  # a check never takes the run down
        return CheckResult(spec.name, False, f"check failed to run: {type(exc).__name__}: {exc}")


def run_checks(
    task: Task,
    result: AgentResult,
    workspace_root: Path,
    original_root: Path | None,
    variables: dict[str, str] | None = None,
) -> list[CheckResult]:
    """Every check of ``task`` on ``result`` and the workspace copy at ``workspace_root``.

    Command checks run last so they cannot disturb what the file checks see (bytecode
    caches, files the tests write); results keep the task's order.
    """
    try:
        specs = task.rendered_checks(variables or {})
    except Exception as exc:
        return [CheckResult("checks", False, f"cannot prepare the checks: {exc}")]
    ctx = CheckContext((result.final_answer or "").strip(), result, Path(workspace_root), original_root)
    out: list[CheckResult | None] = [None] * len(specs)
    for i in sorted(range(len(specs)), key=lambda i: specs[i].is_command):
        if specs[i].is_command and result.status == "cancelled":
            # The user stopped this agent: do not make them wait for its code to run.
            out[i] = CheckResult(specs[i].name, False, "not run: the agent was cancelled")
        else:
            out[i] = run_check(specs[i], ctx)
    return [r for r in out if r is not None]
