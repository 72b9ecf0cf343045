"""What an agent's transcript is made of: blocks (text, tool calls, reasoning, notes) that
render themselves to compact lines at a width, and the render context they share.

Memory stays bounded however long an agent writes (issue 13): a text block keeps its text
once, as the finished paragraphs' raw pieces plus the paragraph in progress; it renders a
paragraph when a line of it is wanted and keeps the lines of the most recently used
paragraphs only. Line counts are kept per paragraph (a few bytes each); after a width change
a paragraph not rendered yet counts as an estimate from its length, so zooming a
200,000-character pane renders only what is on screen, and a pane streaming faster than
anyone reads renders only the paragraphs that were on screen at a refresh.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections import OrderedDict
from itertools import accumulate

from rich.style import Style
from rich.text import Text

from nanotui.ui.widgets.tool_call import ToolCall, human_size
from nanotui.ui.widgets.transcript_render import Line, Palette, RenderContext

__all__ = ["Block", "Line", "NoteBlock", "Palette", "ReasoningBlock", "RenderContext", "TextBlock", "ToolBlock",
           "inline_markdown"]


class Block:
    """A part of the transcript that renders itself to lines at a width. Small blocks render
    whole (:meth:`render`) and keep their lines until :meth:`invalidate`; a text block
    renders a paragraph at a time."""

    _rendered: dict[tuple[int, int], list[Line]] | None = None  # by (width, theme): two kept

    def render(self, width: int, ctx: RenderContext) -> list[Line]:
        raise NotImplementedError

    def invalidate(self) -> None:
        self._rendered = None

    def _lines_at(self, width: int, ctx: RenderContext) -> list[Line]:
        key = (width, id(ctx))
        rendered = self._rendered
        if rendered is None:
            rendered = self._rendered = {}
        lines = rendered.get(key)
        if lines is None:
            if len(rendered) >= 2:  # the pane's width and the zoomed one
                del rendered[next(iter(rendered))]
            lines = rendered[key] = self.render(width, ctx)
        return lines

    def line_count(self, width: int, ctx: RenderContext) -> int:
        return len(self._lines_at(width, ctx))

    def line(self, index: int, width: int, ctx: RenderContext) -> Line:
        lines = self._lines_at(width, ctx)
        return lines[index] if 0 <= index < len(lines) else ()

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
        """Every line (tests, and small blocks)."""
        return [self.line(i, width, ctx) for i in range(self.line_count(width, ctx))]


def _open_fence(text: str) -> bool:
    """Whether ``text`` ends inside a fenced code block."""
    fences = 0
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) <= 3 and (stripped.startswith("```") or stripped.startswith("~~~")):
            fences += 1
    return fences % 2 == 1


# Inline Markdown for the paragraph still streaming: a full Markdown parse per tick costs
# ~4 ms a pane; these three spans cover what models write mid-paragraph.
_INLINE = re.compile(r"(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*)")


def inline_markdown(source: str, code_style: str) -> Text:
    text = Text()
    pos = 0
    for match in _INLINE.finditer(source):
        text.append(source[pos : match.start()])
        code, bold, italic = match.groups()
        if code:
            text.append(code[1:-1], style=code_style)
        elif bold:
            text.append(bold[2:-2], style="bold")
        else:
            text.append(italic[1:-1], style="italic")
        pos = match.end()
    text.append(source[pos:])
    return text


class _Layout:
    """A text block's paragraphs at one width and theme: line counts (exact or estimated), the
    lines of the most recently used paragraphs, and the paragraph in progress."""

    __slots__ = ("cache", "counts", "ends", "exact", "key", "tail_dirty", "tail_lines")

    def __init__(self, key: tuple[int, int]) -> None:
        self.key = key
        self.counts: list[int] = []  # lines per paragraph (exact or estimated)
        self.exact: list[bool] = []
        self.ends: list[int] | None = None  # running sum of (air +) counts, rebuilt on change
        self.cache: OrderedDict[int, list[Line]] = OrderedDict()
        self.tail_lines: list[Line] = []
        self.tail_dirty = True


class TextBlock(Block):
    """Assistant text, appended to while it streams. Finished paragraphs are rendered as
    Markdown when shown (the newest ones stay cached); the paragraph in progress is redrawn
    each tick with inline styles only.

    Two layouts are kept (the pane's width and the zoomed width), so zooming in and out does
    not start over, and a focused pane can render its zoomed screen ahead of the zoom."""

    CACHED_PARAGRAPHS = 24  # ~two zoomed screens; the rest is rendered again when shown
    LAYOUTS = 2

    def __init__(self) -> None:
        self._pieces: list[str] = []  # the finished text, exactly as it arrived, cut after blank lines
        self._paragraphs: list[int] = []  # the pieces that render (not blank), in order
        self._tail = ""  # the paragraph in progress
        self._scan_from = 0
        self._layouts: OrderedDict[tuple[int, int], _Layout] = OrderedDict()  # most recent last
        self._now: _Layout | None = None  # the layout asked for last
        self.count_changed = False  # an estimate became exact: the view's positions moved

    @property
    def text(self) -> str:
        return "".join(self._pieces) + self._tail

    @property
    def chunks(self) -> list[str]:
        """The finished paragraphs as they render."""
        return [self._source(k) for k in range(len(self._paragraphs))]

    @property
    def settled(self) -> bool:
        """Every paragraph's line count is exact at the last width asked for."""
        return self._now is None or all(self._now.exact)

    @property
    def _cache(self) -> OrderedDict[int, list[Line]]:
        """The rendered paragraphs kept at the last width asked for (tests)."""
        return self._now.cache if self._now is not None else OrderedDict()

    def _source(self, k: int) -> str:
        return self._pieces[self._paragraphs[k]][:-2].strip("\n")

    def append(self, text: str) -> None:
        self._tail += text
        for layout in self._layouts.values():
            layout.tail_dirty = True
        while True:
            cut = self._tail.find("\n\n", self._scan_from)
            if cut < 0:
                self._scan_from = max(0, len(self._tail) - 1)
                return
            head = self._tail[:cut]
            if _open_fence(head):  # a blank line inside a code block does not end it
                self._scan_from = cut + 2
                continue
            self._pieces.append(self._tail[: cut + 2])
            if head.strip():
                self._paragraphs.append(len(self._pieces) - 1)
            self._tail = self._tail[cut + 2 :]
            self._scan_from = 0

    # -- lines ---------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Nothing to drop: the block tracks what changed as text arrives."""

    def _at(self, width: int, ctx: RenderContext) -> _Layout:
        key = (width, id(ctx))
        layout = self._now
        if layout is None or layout.key != key:
            layout = self._layouts.get(key)
            if layout is None:
                # A new width or theme: every paragraph counts as an estimate until it is
                # shown (or :meth:`settle` gets to it); nothing off screen is rendered now.
                layout = self._layouts[key] = _Layout(key)
                while len(self._layouts) > self.LAYOUTS:
                    self._layouts.popitem(last=False)
            else:
                self._layouts.move_to_end(key)
            self._now = layout
        counts = layout.counts
        if len(counts) < len(self._paragraphs):
            # Paragraphs just finished: each is rendered when a line of it is painted. A pane
            # streaming faster than it can be read shows only the last lines each refresh, so
            # paragraphs that scroll by unseen are never rendered: the cost follows what is
            # on screen, not the token rate.
            new = range(len(counts), len(self._paragraphs))
            counts.extend(self._estimate(k, width) for k in new)
            layout.exact.extend(False for _ in new)
            layout.ends = None
        if layout.tail_dirty:
            tail = self._tail.strip("\n")
            if tail.strip():
                layout.tail_lines = ctx.render(inline_markdown(tail, f"bold {ctx.palette.accent}"), width)
            else:
                layout.tail_lines = []
            layout.tail_dirty = False
        return layout

    def _estimate(self, k: int, width: int) -> int:
        # Rough on purpose (no copy of the text): counted for every paragraph on a zoom.
        piece = self._pieces[self._paragraphs[k]]
        return len(piece) // max(1, width) + piece.count("\n") - 1

    def _paragraph_lines(self, layout: _Layout, k: int, ctx: RenderContext) -> list[Line]:
        cache = layout.cache
        lines = cache.get(k)
        if lines is None:
            lines = ctx.render(ctx.markdown(self._source(k)), layout.key[0])
            cache[k] = lines
            while len(cache) > self.CACHED_PARAGRAPHS:
                cache.popitem(last=False)
            if not layout.exact[k]:
                if layout.counts[k] != len(lines):
                    self.count_changed = True  # an estimate was off: the lines after it moved
                layout.counts[k] = len(lines)
                layout.exact[k] = True
                layout.ends = None
        else:
            cache.move_to_end(k)
        return lines

    def settle(self, width: int, ctx: RenderContext, budget_s: float) -> bool:
        """Replace estimates by exact counts for up to ``budget_s`` (newest first); whether
        any estimate is left."""
        layout = self._at(width, ctx)
        deadline = time.perf_counter() + budget_s
        for k in range(len(layout.counts) - 1, -1, -1):
            if not layout.exact[k]:
                lines = ctx.render(ctx.markdown(self._source(k)), width)
                if layout.counts[k] != len(lines):
                    layout.counts[k], layout.ends = len(lines), None
                    self.count_changed = True
                layout.exact[k] = True
                if time.perf_counter() > deadline:
                    break
        return not self.settled

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
        while self.settle(width, ctx, 1.0):  # exact counts first, or the range falls short
            pass
        return super().lines(width, ctx)

    @staticmethod
    def _paragraph_ends(layout: _Layout) -> list[int]:
        if layout.ends is None:
            layout.ends = list(accumulate(c + (1 if k else 0) for k, c in enumerate(layout.counts)))
        return layout.ends

    def line_count(self, width: int, ctx: RenderContext) -> int:
        layout = self._at(width, ctx)
        ends = self._paragraph_ends(layout)
        body = ends[-1] if ends else 0
        tail = len(layout.tail_lines)
        return body + tail + (1 if body and tail else 0)

    def line(self, index: int, width: int, ctx: RenderContext) -> Line:
        layout = self._at(width, ctx)
        ends = self._paragraph_ends(layout)
        body = ends[-1] if ends else 0
        if index >= body:
            index -= body + (1 if body else 0)
            return layout.tail_lines[index] if 0 <= index < len(layout.tail_lines) else ()
        k = bisect_right(ends, index)
        start = ends[k - 1] if k else 0
        local = index - start - (1 if k else 0)  # the air line before every paragraph but the first
        if local < 0:
            return ()
        lines = self._paragraph_lines(layout, k, ctx)
        return lines[local] if local < len(lines) else ()


    # -- find ----------------------------------------------------------------------------

    def find(self, needle: str) -> list[tuple[int, int]]:
        """(paragraph, occurrences) for each paragraph whose stored text holds ``needle`` (lower
        case): rendered or not. The paragraph in progress is number ``len(paragraphs)``."""
        found = []
        for k in range(len(self._paragraphs)):
            count = self._source(k).lower().count(needle)
            if count:
                found.append((k, count))
        count = self._tail.strip("\n").lower().count(needle)
        if count:
            found.append((len(self._paragraphs), count))
        return found

    def paragraph_at(self, k: int, width: int, ctx: RenderContext) -> tuple[int, list[Line]]:
        """Paragraph ``k``'s first line in this block and its lines (rendered now, so its line
        count is exact: the view recounts after :attr:`count_changed`)."""
        layout = self._at(width, ctx)
        if k >= len(self._paragraphs):
            ends = self._paragraph_ends(layout)
            body = ends[-1] if ends else 0
            return body + (1 if body else 0), layout.tail_lines
        lines = self._paragraph_lines(layout, k, ctx)
        ends = self._paragraph_ends(layout)
        return (ends[k - 1] + 1 if k else 0), lines


def _prefixed(lines: list[Line], prefix: str, style: Style, ctx: RenderContext) -> list[Line]:
    bar = (prefix, ctx.style_number(style))
    return [(bar, *line) for line in lines]


class ToolBlock(Block):
    """One tool call: tool, key argument, then ok/error and the result's size."""

    def __init__(self, call: ToolCall) -> None:
        self.call = call

    def render(self, width: int, ctx: RenderContext) -> list[Line]:
        p = ctx.palette
        c = self.call
        head = Text()
        head.append(c.name, style="bold")
        head.append(" " + c.argument)
        if c.ok is None:
            head.append("  running…", style="dim")
            bar = p.secondary
        elif c.ok:
            head.append("  ✓ ", style=p.success)
            head.append(human_size(c.result_size), style="dim")
            bar = p.success
        else:
            head.append("  ✗ error ", style=p.error)
            head.append(human_size(c.result_size), style="dim")
            bar = p.error
        body = ctx.render(head, width - 2)
        if c.ok is False and c.error_line:
            body += ctx.render(Text(c.error_line, style=p.error), width - 2)
        return _prefixed(body, "▌ ", Style(color=bar), ctx)


class ReasoningBlock(Block):
    """The model's reasoning summary: one line when collapsed (the default)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.expanded = False

    def append(self, text: str) -> None:
        self.parts.append(text)

    def render(self, width: int, ctx: RenderContext) -> list[Line]:
        text = "".join(self.parts)
        words = len(text.split())
        head = Text()
        head.append("▼ reasoning" if self.expanded else "▶ reasoning", style=f"bold {ctx.palette.secondary}")
        head.append(f"  {words} word{'s' if words != 1 else ''}", style="dim")
        out = ctx.render(head, width)
        if self.expanded and text.strip():
            out += _prefixed(ctx.render(Text(text.strip(), style="dim italic"), width - 2), "  ", Style(), ctx)
        return out


class NoteBlock(Block):
    """A one-off line such as a scheduled retry."""

    def __init__(self, text: str, colour: str = "warning") -> None:
        self.text = text
        self.colour = colour

    def render(self, width: int, ctx: RenderContext) -> list[Line]:
        return ctx.render(Text(self.text, style=getattr(ctx.palette, self.colour)), width)
