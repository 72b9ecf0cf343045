"""Unified diffs of the files an agent changed, against the untouched original workspace."""

from __future__ import annotations

import difflib
from pathlib import Path

DIFF_CAP_CHARS = 20_000


def _lines(path: Path | None) -> list[str] | None:
    if path is None or not path.is_file():
        return []
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def file_diffs(original_root: Path | None, sandbox_root: Path, changed: list[str]) -> dict[str, str]:
    diffs: dict[str, str] = {}
    for rel in changed:
        before = _lines(original_root / rel if original_root else None)
        after = _lines(sandbox_root / rel)
        if before is None or after is None:
            diffs[rel] = "(binary file changed)"
            continue
        text = "".join(difflib.unified_diff(before, after, f"a/{rel}", f"b/{rel}"))
        if len(text) > DIFF_CAP_CHARS:
            text = text[:DIFF_CAP_CHARS] + f"\n... (diff cut at {DIFF_CAP_CHARS} characters)\n"
        diffs[rel] = text
    return diffs
