"""Finding text in a transcript (the zoomed pane's ``/``): plain, case-insensitive substrings.

A transcript renders lazily, so most of a long one was never rendered at the width shown.
Matches are therefore counted in the text as stored (each paragraph's source, the small
blocks' lines); going to a match renders only its paragraph, to find the line it is on.
The count is of the stored text: a match that Markdown markup splits (``**a** b`` searched as
``a b``) counts, and its paragraph is shown, but its line is not highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from rich.style import Style

from nanotui.ui.widgets.transcript_blocks import Block, Line, RenderContext, TextBlock


@dataclass(frozen=True)
class Match:
    """One occurrence: in block ``position``, paragraph ``paragraph`` of a text block (its
    ``nth`` occurrence there) or line ``line`` of another block."""

    position: int
    paragraph: int | None
    nth: int
    line: int = 0


def plain(line: Line) -> str:
    return "".join(text for text, _ in line)


def find_matches(blocks: list[Block], needle: str, width: int, ctx: RenderContext) -> list[Match]:
    """Every occurrence of ``needle`` (lower case) in order, rendered or not."""
    matches: list[Match] = []
    if not needle:
        return matches
    for position, block in enumerate(blocks):
        if isinstance(block, TextBlock):
            for k, count in block.find(needle):
                matches.extend(Match(position, k, nth) for nth in range(count))
        else:  # tool calls, reasoning, notes: a few lines each
            for index, line in enumerate(block.lines(width, ctx)):
                count = plain(line).lower().count(needle)
                matches.extend(Match(position, None, nth, index) for nth in range(count))
    return matches


def line_of(lines: list[Line], needle: str, nth: int) -> int:
    """The line holding the ``nth`` occurrence of ``needle`` in a rendered paragraph (the
    first line holding one when markup moved it; the first line when none does)."""
    seen = 0
    first = None
    for index, line in enumerate(lines):
        count = plain(line).lower().count(needle)
        if count and first is None:
            first = index
        seen += count
        if seen > nth:
            return index
    return first if first is not None else 0


def highlight(line: Line, needle: str, style: Style, ctx: RenderContext) -> Line:
    """``line`` with every occurrence of ``needle`` (lower case) drawn in ``style``."""
    text = plain(line).lower()
    spans = []
    start = text.find(needle)
    while start >= 0 and needle:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + len(needle))
    if not spans:
        return line
    marked = ctx.style_number(style)
    out: list[tuple[str, int]] = []
    pos = 0
    for piece, number in line:
        end = pos + len(piece)
        cuts = sorted({pos, end, *(b for span in spans for b in span if pos < b < end)})
        for a, b in pairwise(cuts):
            inside = any(s <= a and b <= e for s, e in spans)
            out.append((piece[a - pos : b - pos], marked if inside else number))
        pos = end
    return tuple(out)
