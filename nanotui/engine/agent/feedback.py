"""What ``edit_file`` tells a model when ``old_str`` does not match exactly once.

How well a model recovers from a failed edit depends on this text, and every model gets
the same text, so it belongs to the playing field: short (a few hundred characters), the
same for every provider, and pointing at the likeliest cause — line endings, whitespace
or indentation, or the closest lines — with 1-based line numbers.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
from collections import Counter

MAX_LISTED_LINES = 5  # line numbers listed for several matches
MAX_COUNTED = 1_000  # matches counted one by one (an edit runs on the event loop)
SHOWN_LINE_CHARS = 60  # how much of a file line a hint quotes
_COMPARED_LINE_CHARS = 400  # longer lines are compared by their start only (bounded time)
_CLOSE_CUTOFF = 0.6
_FINE_COMPARED = 25  # lines given the full similarity ratio after the vote
_PIECE_CHARS = 6  # pieces of old_str looked up to find the lines that share them
_PIECE_HITS = 200  # a piece found more often than this says nothing about which line


def count_matches(text: str, old: str) -> tuple[int, bool, list[int]]:
    """How many times ``old`` occurs, overlapping matches included (``aaa``/``aa`` is 2),
    whether that count is exact, and the offsets of the first few. Bounded: past
    ``MAX_COUNTED`` matches the count is exact only where matches cannot overlap."""
    starts: list[int] = []
    i = text.find(old)
    while i != -1 and len(starts) < MAX_COUNTED:
        starts.append(i)
        i = text.find(old, i + 1)
    if i == -1:
        return len(starts), True, starts
    if not _has_border(old):  # cannot overlap itself: the C count is the count
        return text.count(old), True, starts
    return len(starts), False, starts


def _has_border(s: str) -> bool:
    """Whether a proper prefix of ``s`` is also its suffix (only then can matches overlap)."""
    fail = [0] * len(s)
    k = 0
    for i in range(1, len(s)):
        while k and s[i] != s[k]:
            k = fail[k - 1]
        if s[i] == s[k]:
            k += 1
        fail[i] = k
    return bool(s) and fail[-1] > 0


def _quote(line: str) -> str:
    line = line.rstrip("\r\n")
    return repr(line if len(line) <= SHOWN_LINE_CHARS else line[:SHOWN_LINE_CHARS] + "…")


def _first_lines(text: str, starts: list[int], wanted: int) -> list[int]:
    """The distinct 1-based line numbers of the first matches, up to ``wanted``."""
    lines: list[int] = []
    line, pos = 1, 0
    for start in starts:  # ascending, so one pass over the text at most
        line += text.count("\n", pos, start)
        pos = start
        if not lines or lines[-1] != line:
            lines.append(line)
            if len(lines) == wanted:
                break
    return lines


def several_matches(text: str, count: int, exact: bool, starts: list[int], shown: str) -> str:
    lines = _first_lines(text, starts, MAX_LISTED_LINES + 1)
    listed = ", ".join(str(n) for n in lines[:MAX_LISTED_LINES]) + (", …" if len(lines) > MAX_LISTED_LINES else "")
    where = "line" if len(lines) == 1 else "lines"
    found = f"{count}" if exact else f"more than {count}"
    return (
        f"Error: old_str must match exactly once in {shown}, found {found} matches ({where} {listed}). "
        "Include more surrounding lines in old_str to make it unique."
    )


def no_match(text: str, old: str, shown: str) -> str:
    return f"Error: old_str must match exactly once in {shown}, found 0 matches. {_near_miss(text, old)}"


def _near_miss(text: str, old: str) -> str:
    if "\n" in old and "\r\n" not in old and old.replace("\n", "\r\n") in text:
        return "The file has CRLF (\\r\\n) line endings; old_str has \\n. Use \\r\\n in old_str."
    if "\r\n" in old and old.replace("\r\n", "\n") in text:
        return "The file has \\n line endings; old_str has \\r\\n. Use \\n in old_str."
    lines = text.split("\n")  # numbered as read_file's text shows them
    spaced = _whitespace_match(lines, old)
    if spaced is not None:
        return (
            f"Line {spaced + 1} differs from old_str only in whitespace or indentation: the file has "
            f"{_quote(lines[spaced])}. Copy its exact tabs and spaces into old_str."
        )
    close = _closest_lines(text, lines, old)
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


def _closest_lines(text: str, lines: list[str], old: str) -> list[int]:
    """1-based numbers of up to two file lines most like the longest line of ``old``.

    Pieces of that line are looked up with ``str.find`` (C speed) and each line they land
    on gets a vote; only the lines with most votes get difflib's costly ratio.
    """
    candidates = [s.strip() for s in old.split("\n") if s.strip()]
    if not candidates:
        return []
    target = max(candidates, key=len)[:_COMPARED_LINE_CHARS]
    size = _PIECE_CHARS if len(target) >= 2 * _PIECE_CHARS else max(2, len(target) // 2)
    line_starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    votes: Counter[int] = Counter()
    for p in range(0, len(target) - size + 1, max(1, size // 2)):
        piece = target[p:p + size]
        hits: list[int] = []
        i = text.find(piece)
        while i != -1 and len(hits) < _PIECE_HITS:
            hits.append(i)
            i = text.find(piece, i + 1)
        if i != -1:
            continue  # too common to tell lines apart
        votes.update({bisect.bisect_right(line_starts, h) for h in hits})
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    scored = []
    for n, _ in votes.most_common(_FINE_COMPARED):
        matcher.set_seq1(lines[n - 1].strip()[:_COMPARED_LINE_CHARS])
        ratio = matcher.ratio()
        if ratio >= _CLOSE_CUTOFF:
            scored.append((-ratio, n))
    return sorted(n for _, n in sorted(scored)[:2])
