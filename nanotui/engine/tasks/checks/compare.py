"""Helpers the checks share: quoting, text and JSON comparison, workspace reads, argument matching."""

from __future__ import annotations

import json
import math
import posixpath
import re
from pathlib import Path
from typing import Any

from nanotui.engine.tasks.checks.spec import CheckContext

PREVIEW_CHARS = 80


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A short, one-line quote of ``text`` for a detail (newlines shown as \\n)."""
    one_line = text.replace("\r", "").replace("\n", "\\n")
    return '"' + one_line[:limit] + ("…" if len(one_line) > limit else "") + '"'


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def normalise_text(text: str) -> str:
    """Line endings unified, trailing spaces on each line and blank lines around the text
    dropped: differences no reader can see do not fail an exact comparison."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def fold(text: str, ignore_case: bool) -> str:
    return text.casefold() if ignore_case else text


def regex_flags(params: dict[str, Any]) -> int:
    return re.IGNORECASE if params.get("ignore_case") else 0


def first_difference(got: str, want: str) -> str:
    got_lines, want_lines = got.split("\n"), want.split("\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines), start=1):
        if g != w:
            return f"line {i} differs: got {preview(g)}, expected {preview(w)}"
    return f"got {len(got_lines)} line(s), expected {len(want_lines)}"


class FieldMissing(Exception):
    pass


def field_path(text: str) -> list[str | int]:
    """``"by_type.int"`` -> ``["by_type", "int"]``; digits index arrays: ``"items.0.name"``."""
    return [int(part) if part.isdigit() else part for part in text.split(".")]


def lookup(doc: Any, path: str) -> Any:
    node = doc
    walked: list[str] = []
    for part in field_path(path):
        if isinstance(part, int) and isinstance(node, list):
            if part >= len(node):
                raise FieldMissing(f"{'.'.join(walked) or 'the document'} has only {len(node)} item(s)")
            node = node[part]
        elif isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        else:
            where = ".".join(walked) or "the top level"
            kind = "an object" if isinstance(node, dict) else f"a {type(node).__name__}"
            raise FieldMissing(f"no field {str(part)!r} at {where} ({kind})")
        walked.append(str(part))
    return node


def values_equal(got: Any, want: Any, params: dict[str, Any]) -> bool:
    if isinstance(got, bool) or isinstance(want, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        tolerance = float(params.get("tolerance") or 0.0)
        return math.isclose(float(got), float(want), rel_tol=0.0, abs_tol=tolerance) if tolerance else got == want
    if isinstance(want, str) and isinstance(got, str):
        return fold(got.strip(), params.get("ignore_case", False)) == fold(want.strip(), params.get("ignore_case", False))
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(values_equal(g, w, params) for g, w in zip(got, want))
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(values_equal(got[k], want[k], params) for k in want)
    return False


def field_equals(doc: Any, params: dict[str, Any], what: str) -> tuple[bool, str]:
    try:
        got = lookup(doc, params["field"])
    except FieldMissing as exc:
        return False, f"{what}: {exc}"
    want = params["value"]
    if values_equal(got, want, params):
        return True, f"{params['field']} = {show(got)}"
    return False, f"{params['field']} is {show(got)}, expected {show(want)}"


def parse_json(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, str(exc)


def workspace_file(ctx: CheckContext, rel: str, root: Path | None = None) -> Path:
    """The file ``rel`` inside the workspace copy; never a path that escapes it."""
    base = (root or ctx.workspace_root).resolve()
    real = (base / rel).resolve()
    if real != base and base not in real.parents:
        raise ValueError(f"{rel!r} is outside the workspace")
    return real


def read_text(ctx: CheckContext, rel: str) -> tuple[str | None, str]:
    path = workspace_file(ctx, rel)
    if not path.is_file():
        return None, f"{rel} does not exist" if not path.exists() else f"{rel} is not a file"
    data = path.read_bytes()
    return data.decode("utf-8", errors="replace"), ""


def same_path(a: str, b: str) -> bool:
    def norm(p: str) -> str:
        return posixpath.normpath(p.strip().replace("\\", "/")) if p.strip() else "."

    return norm(a) == norm(b)


def call_matches(args: dict[str, Any], want: dict[str, Any]) -> bool:
    for key, value in want.items():
        got = args.get(key)
        if key.endswith("_path") and isinstance(got, str) and isinstance(value, str):
            if not same_path(got, value):
                return False
        elif got != value:
            return False
    return True
