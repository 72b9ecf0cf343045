"""Deterministic checks a machine can verify, run on each agent's result after its run:
on the final answer, on the agent's workspace copy, on its behaviour, and (optionally) a
command run in the copy. A check never raises: any problem is a failed check with a detail.

Each check type declares its parameters here; task validation (``nanotui tasks validate``)
and the task format docs read the same table, so a type and its rules live in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nanotui.engine.tasks.checks import answer, behaviour, workspace
from nanotui.engine.tasks.checks.command import check_command
from nanotui.engine.tasks.checks.compare import show
from nanotui.engine.tasks.checks.spec import IGNORE_CASE, JSON_SCALARS, CheckContext, CheckKind, CheckSpec, optional, required
from nanotui.engine.results import AgentResult, CheckResult

if TYPE_CHECKING:
    from nanotui.engine.tasks.model import Task

# -- the table of check types -------------------------------------------------------------


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else show(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _command_text(command: Any) -> str:
    return command if isinstance(command, str) else " ".join(str(c) for c in command)


CHECK_KINDS: dict[str, CheckKind] = {
    k.type: k
    for k in (
        CheckKind("exact", "answer", "the answer equals `value` (trailing spaces and surrounding blank lines ignored)",
                  {"value": required(str), "ignore_case": IGNORE_CASE}, answer.exact,
                  lambda p: f"answer is exactly {_short(p['value'])!r}"),
        CheckKind("contains", "answer", "the answer contains `value`",
                  {"value": required(str), "ignore_case": IGNORE_CASE}, answer.contains,
                  lambda p: f"answer contains {_short(p['value'])!r}"),
        CheckKind("not_contains", "answer", "the answer does not contain `value`",
                  {"value": required(str), "ignore_case": IGNORE_CASE}, answer.not_contains,
                  lambda p: f"answer does not contain {_short(p['value'])!r}"),
        CheckKind("regex", "answer", "the Python regex `pattern` matches somewhere in the answer",
                  {"pattern": required(str, role="regex"), "ignore_case": IGNORE_CASE}, answer.regex,
                  lambda p: f"answer matches /{_short(p['pattern'])}/"),
        CheckKind("not_regex", "answer", "the Python regex `pattern` matches nowhere in the answer",
                  {"pattern": required(str, role="regex"), "ignore_case": IGNORE_CASE}, answer.not_regex,
                  lambda p: f"answer does not match /{_short(p['pattern'])}/"),
        CheckKind("is_json", "answer",
                  "the whole answer parses as JSON; `kind` = object|array|any, `keys` = the exact keys of the object",
                  {"kind": optional("any", str), "keys": optional(None, list)}, answer.is_json,
                  lambda p: "answer is a JSON object" if p.get("kind") == "object" else "answer is JSON"),
        CheckKind("json_field_equals", "answer",
                  "the answer is JSON and `field` (dotted path, e.g. by_type.int or items.0) equals `value`",
                  {"field": required(str, role="field"), "value": required(*JSON_SCALARS), "ignore_case": IGNORE_CASE,
                   "tolerance": optional(0.0, float)}, answer.json_field_equals,
                  lambda p: f"answer.{p['field']} == {_short(p['value'])}"),
        CheckKind("file_exists", "workspace", "the file `path` exists in the agent's workspace copy",
                  {"path": required(str, role="path")}, workspace.file_exists,
                  lambda p: f"{p['path']} exists"),
        CheckKind("file_absent", "workspace", "nothing exists at `path` in the agent's workspace copy",
                  {"path": required(str, role="path")}, workspace.file_absent,
                  lambda p: f"{p['path']} does not exist"),
        CheckKind("file_contains", "workspace", "the file `path` contains `value`",
                  {"path": required(str, role="path"), "value": required(str), "ignore_case": IGNORE_CASE}, workspace.file_contains,
                  lambda p: f"{p['path']} contains {_short(p['value'])!r}"),
        CheckKind("file_regex", "workspace", "the Python regex `pattern` matches in the file `path`",
                  {"path": required(str, role="path"), "pattern": required(str, role="regex"), "ignore_case": IGNORE_CASE},
                  workspace.file_regex, lambda p: f"{p['path']} matches /{_short(p['pattern'])}/"),
        CheckKind("file_equals", "workspace", "the file `path` equals `value` (as for exact)",
                  {"path": required(str, role="path"), "value": required(str)}, workspace.file_equals,
                  lambda p: f"{p['path']} has the expected content"),
        CheckKind("json_file_field_equals", "workspace", "the file `path` is JSON and `field` equals `value`",
                  {"path": required(str, role="path"), "field": required(str, role="field"), "value": required(*JSON_SCALARS),
                   "ignore_case": IGNORE_CASE, "tolerance": optional(0.0, float)}, workspace.json_file_field_equals,
                  lambda p: f"{p['path']}: {p['field']} == {_short(p['value'])}"),
        CheckKind("file_unchanged", "workspace", "the file `path` is byte for byte as in the original workspace",
                  {"path": required(str, role="path")}, workspace.file_unchanged,
                  lambda p: f"{p['path']} unchanged"),
        CheckKind("tool_used", "behaviour",
                  "the tool succeeded at least `min_times` times (default 1), with `args` if given (paths normalised)",
                  {"tool": required(str, role="tool"), "min_times": optional(1, int), "args": optional(None, dict)}, behaviour.tool_used,
                  lambda p: f"used {p['tool']}" + (f" on {_short(next(iter(p['args'].values())))}" if p.get("args") else "")),
        CheckKind("tool_not_used", "behaviour", "the tool was never called (not even a refused call)",
                  {"tool": required(str, role="tool")}, behaviour.tool_not_used,
                  lambda p: f"did not use {p['tool']}"),
        CheckKind("max_turns", "behaviour", "the agent took at most `max` turns",
                  {"max": required(int)}, behaviour.max_turns,
                  lambda p: f"at most {p['max']} turn(s)"),
        CheckKind("command", "command",
                  "runs `command` in the agent's workspace copy (timeout, no network, scrubbed environment); "
                  "passes on exit `expect_exit` (default 0) and, if given, output matching `output_regex`",
                  {"command": required(str, list, role="command"), "timeout_s": optional(60.0, float),
                   "expect_exit": optional(0, int), "output_regex": optional(None, str, role="regex")}, check_command,
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
