"""What ``edit_file`` tells a model when ``old_str`` does not match exactly once.

How well a model recovers from a failed edit depends on this text, and every model gets
the same text, so it belongs to the playing field: short (a few hundred characters), the
same for every provider, and pointing at the likeliest cause — line endings, whitespace
or indentation, or the closest lines — with 1-based line numbers.
"""

from __future__ import annotations

import difflib

MAX_LISTED_LINES = 5  # line numbers listed for several matches
SHOWN_LINE_CHARS = 60  # how much of a file line a hint quotes
_COMPARED_LINE_CHARS = 400  # longer lines are compared by their start only (bounded time)
_CLOSE_CUTOFF = 0.6


def count_matches(text: str, old: str) -> list[int]:
    """Start offsets of every match of ``old``, overlapping ones included (``aaa``/``aa`` is 2)."""
    starts = []
    i = text.find(old)
    while i != -1:
        starts.append(i)
        i = text.find(old, i + 1)
    return starts


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _quote(line: str) -> str:
    line = line.rstrip("\r\n")
    return repr(line if len(line) <= SHOWN_LINE_CHARS else line[:SHOWN_LINE_CHARS] + "…")


def several_matches(text: str, old: str, starts: list[int], shown: str) -> str:
    lines = sorted({_line_of(text, s) for s in starts})
    listed = ", ".join(str(n) for n in lines[:MAX_LISTED_LINES]) + (", …" if len(lines) > MAX_LISTED_LINES else "")
    where = "line" if len(lines) == 1 else "lines"
    return (
        f"Error: old_str must match exactly once in {shown}, found {len(starts)} matches ({where} {listed}). "
        "Include more surrounding lines in old_str to make it unique."
    )


def no_match(text: str, old: str, shown: str) -> str:
    return f"Error: old_str must match exactly once in {shown}, found 0 matches. {_near_miss(text, old)}"


def _near_miss(text: str, old: str) -> str:
    if "\n" in old and "\r\n" not in old and old.replace("\n", "\r\n") in text:
        return "The file has CRLF (\\r\\n) line endings; old_str has \\n. Use \\r\\n in old_str."
    if "\r\n" in old and old.replace("\r\n", "\n") in text:
        return "The file has \\n line endings; old_str has \\r\\n. Use \\n in old_str."
    lines = text.splitlines()
    spaced = _whitespace_match(lines, old)
    if spaced is not None:
        return (
            f"Line {spaced + 1} differs from old_str only in whitespace or indentation: the file has "
            f"{_quote(lines[spaced])}. Copy its exact tabs and spaces into old_str."
        )
    close = _closest_lines(lines, old)
    if close:
        quoted = "; ".join(f"{n}: {_quote(lines[n - 1])}" for n in close)
        return f"Closest lines: {quoted}. Read the file and copy old_str from it exactly."
    return "Read the file to see its current content."


def _norm(s: str) -> str:
    return " ".join(s.split())


def _whitespace_match(lines: list[str], old: str) -> int | None:
    """Index of the first file line where ``old`` matches once whitespace runs are ignored."""
    want = [_norm(s) for s in old.replace("\r\n", "\n").split("\n")]
    while want and not want[0]:
        want.pop(0)
    while want and not want[-1]:
        want.pop()
    if not want:
        return None
    norms = [_norm(s) for s in lines]
    last = len(want) - 1
    for i in range(len(norms) - last):
        if len(want) == 1:
            if want[0] in norms[i]:
                return i
            continue
        if (
            norms[i].endswith(want[0])
            and norms[i + last].startswith(want[last])
            and norms[i + 1:i + last] == want[1:last]
        ):
            return i
    return None


def _closest_lines(lines: list[str], old: str) -> list[int]:
    """1-based numbers of up to two file lines most like the longest line of ``old``."""
    candidates = [s.strip() for s in old.splitlines() if s.strip()]
    if not candidates:
        return []
    target = max(candidates, key=len)[:_COMPARED_LINE_CHARS]
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    scored = []
    for n, line in enumerate(lines, start=1):
        stripped = line.strip()[:_COMPARED_LINE_CHARS]
        if not stripped:
            continue
        matcher.set_seq1(stripped)
        if matcher.real_quick_ratio() < _CLOSE_CUTOFF or matcher.quick_ratio() < _CLOSE_CUTOFF:
            continue
        ratio = matcher.ratio()
        if ratio >= _CLOSE_CUTOFF:
            scored.append((-ratio, n))
    return sorted(n for _, n in sorted(scored)[:2])
