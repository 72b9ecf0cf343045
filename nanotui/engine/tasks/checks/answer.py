"""Checks on the agent's final answer: exact text, substrings, regexes, JSON.

Each function takes the check context and the check's parameters and returns (passed, detail)."""

from __future__ import annotations

import re
from typing import Any

from nanotui.engine.tasks.checks.compare import field_equals, first_difference, fold, normalise_text, parse_json, preview, regex_flags, show
from nanotui.engine.tasks.checks.spec import CheckContext


def exact(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    got, want = normalise_text(ctx.answer), normalise_text(p["value"])
    if fold(got, p["ignore_case"]) == fold(want, p["ignore_case"]):
        return True, "answer matches exactly"
    if not got:
        return False, "the answer is empty"
    return False, first_difference(got, want)


def contains(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    found = fold(p["value"], p["ignore_case"]) in fold(ctx.answer, p["ignore_case"])
    if found:
        return True, f"answer contains {show(p['value'])}"
    return False, f"{show(p['value'])} not found in the answer {preview(ctx.answer)}"


def not_contains(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    found = fold(p["value"], p["ignore_case"]) in fold(ctx.answer, p["ignore_case"])
    if found:
        return False, f"the answer contains {show(p['value'])}"
    return True, f"answer does not contain {show(p['value'])}"


def regex(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    m = re.search(p["pattern"], ctx.answer, regex_flags(p))
    if m:
        return True, f"matched {preview(m.group(0), 60)}"
    return False, f"no match for /{p['pattern']}/ in the answer {preview(ctx.answer)}"


def not_regex(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    m = re.search(p["pattern"], ctx.answer, regex_flags(p))
    if m:
        return False, f"the answer matches /{p['pattern']}/: {preview(m.group(0), 60)}"
    return True, f"no match for /{p['pattern']}/"


def is_json(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    doc, error = parse_json(ctx.answer)
    if error is not None:
        return False, f"the answer is not JSON ({error}): {preview(ctx.answer)}"
    kind = p["kind"]
    if kind == "object" and not isinstance(doc, dict):
        return False, f"expected a JSON object, got {type(doc).__name__}"
    if kind == "array" and not isinstance(doc, list):
        return False, f"expected a JSON array, got {type(doc).__name__}"
    keys = p.get("keys")
    if keys is not None:
        if not isinstance(doc, dict):
            return False, f"expected a JSON object with keys {show(keys)}, got {type(doc).__name__}"
        missing = [k for k in keys if k not in doc]
        extra = [k for k in doc if k not in keys]
        if missing or extra:
            parts = ([f"missing {show(missing)}"] if missing else []) + ([f"unexpected {show(extra)}"] if extra else [])
            return False, "keys: " + ", ".join(parts)
    return True, "answer is valid JSON"


def json_field_equals(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    doc, error = parse_json(ctx.answer)
    if error is not None:
        return False, f"the answer is not JSON ({error}): {preview(ctx.answer)}"
    return field_equals(doc, p, "answer")
