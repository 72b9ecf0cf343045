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

import copy
import io
import re
import time
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate

from markdown_it import MarkdownIt
from rich.console import Console, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from rich.theme import Theme as RichTheme
from textual.strip import Strip

from nanotui.ui.widgets.tool_call import ToolCall, human_size


@dataclass(frozen=True)
class Palette:
    """Rich styles taken from the app's Textual theme (Rich knows nothing of $variables)."""

    key: str
    dark: bool
    primary: str
    secondary: str
    accent: str
    success: str
    error: str
    warning: str

    @classmethod
    def from_variables(cls, name: str, dark: bool, v: dict[str, str]) -> Palette:
        def get(key: str, fallback: str) -> str:
            value = v.get(key, fallback)
            return value if value.startswith("#") else fallback

        return cls(
            key=name,
            dark=dark,
            primary=get("primary", "#5B8DEF"),
            secondary=get("secondary", "#7C6FD8"),
            accent=get("accent", "#F5B14C"),
            success=get("success", "#4CC38A"),
            error=get("error", "#E5566B"),
            warning=get("warning", "#F5B14C"),
        )

    def console(self) -> Console:
        theme = RichTheme(
            {
                "markdown.code": f"bold {self.accent}",
                "markdown.h1": f"bold {self.primary}",
                "markdown.h1.border": self.primary,
                "markdown.h2": f"bold underline {self.primary}",
                "markdown.h3": f"bold {self.primary}",
                "markdown.h4": f"italic {self.primary}",
                "markdown.link": f"underline {self.primary}",
                "markdown.link_url": f"underline {self.primary}",
                "markdown.item.bullet": f"bold {self.accent}",
                "markdown.item.number": f"bold {self.accent}",
                "markdown.block_quote": "italic",
                "markdown.hr": self.secondary,
            }
        )
        # A private console: rendering must not depend on (or disturb) the app's own.
        return Console(
            file=io.StringIO(), theme=theme, color_system="truecolor", force_terminal=True,
            emoji=False, markup=False, highlight=False, width=80,
        )


# A rendered line, kept compact: (text, style number) pairs in tuples. Tuples of strings and
# ints are not tracked by Python's cyclic garbage collector; Rich Segments (which hold Style
# objects) and Textual Strips (several caches each) are. With tens of thousands of lines those
# made every full collection stall the UI; Strips are made for the lines on screen only.
Line = tuple[tuple[str, int], ...]


class Block:
    """A part of the transcript that renders itself to lines at a width. Small blocks render
    whole (:meth:`render`) and keep their lines until :meth:`invalidate`; a text block
    renders a paragraph at a time."""

    _key: tuple[int, int] | None = None
    _rendered: list[Line] = []

    def render(self, width: int, ctx: RenderContext) -> list[Line]:
        raise NotImplementedError

    def invalidate(self) -> None:
        self._key = None

    def _lines_at(self, width: int, ctx: RenderContext) -> list[Line]:
        key = (width, id(ctx))
        if key != self._key:
            self._rendered = self.render(width, ctx)
            self._key = key
        return self._rendered

    def line_count(self, width: int, ctx: RenderContext) -> int:
        return len(self._lines_at(width, ctx))

    def line(self, index: int, width: int, ctx: RenderContext) -> Line:
        lines = self._lines_at(width, ctx)
        return lines[index] if 0 <= index < len(lines) else ()

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
        """Every line (tests, and small blocks)."""
        return [self.line(i, width, ctx) for i in range(self.line_count(width, ctx))]


class RenderContext:
    """Renders with one palette; owns the style table compact lines refer to."""

    def __init__(self, palette: Palette) -> None:
        self.palette = palette
        self.console = palette.console()
        self.styles: list[Style | None] = [None]
        self._numbers: dict[Style | None, int] = {None: 0}
        # Rich builds a MarkdownIt parser per Markdown object (linkify compiles its regexes
        # each time): a third of the arena's refresh work with sixteen panes streaming. One
        # parser and one configured Markdown to copy serve every paragraph.
        self._parser = MarkdownIt().enable("strikethrough").enable("table")
        self._markdown = RichMarkdown("", code_theme="monokai" if palette.dark else "default")

    def markdown(self, source: str) -> RichMarkdown:
        markdown = copy.copy(self._markdown)
        markdown.markup = source
        markdown.parsed = self._parser.parse(source)
        return markdown

    def style_number(self, style: Style | None) -> int:
        number = self._numbers.get(style)
        if number is None:
            number = self._numbers[style] = len(self.styles)
            self.styles.append(style)
        return number

    def render(self, renderable: RenderableType, width: int) -> list[Line]:
        options = self.console.options.update_width(max(1, width))
        number = self.style_number
        return [
            tuple((seg.text, number(seg.style)) for seg in line if seg.text)
            for line in self.console.render_lines(renderable, options, pad=False)
        ]

    def strip(self, line: Line) -> Strip:
        styles = self.styles
        return Strip([Segment(text, styles[n]) for text, n in line])


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


class TextBlock(Block):
    """Assistant text, appended to while it streams. Finished paragraphs are rendered as
    Markdown when shown (the newest ones stay cached); the paragraph in progress is redrawn
    each tick with inline styles only."""

    CACHED_PARAGRAPHS = 24  # ~two zoomed screens; the rest is rendered again when shown

    def __init__(self) -> None:
        self._pieces: list[str] = []  # the finished text, exactly as it arrived, cut after blank lines
        self._paragraphs: list[int] = []  # the pieces that render (not blank), in order
        self._tail = ""  # the paragraph in progress
        self._scan_from = 0
        self._key: tuple[int, int] | None = None
        self._counts: list[int] = []  # lines per paragraph at ``_key`` (exact or estimated)
        self._exact: list[bool] = []
        self._ends: list[int] | None = None  # running sum of (air +) counts, rebuilt on change
        self._cache: OrderedDict[int, list[Line]] = OrderedDict()
        self._tail_lines: list[Line] = []
        self._tail_dirty = True
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
        return all(self._exact)

    def _source(self, k: int) -> str:
        return self._pieces[self._paragraphs[k]][:-2].strip("\n")

    def append(self, text: str) -> None:
        self._tail += text
        self._tail_dirty = True
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

    def _at(self, width: int, ctx: RenderContext) -> None:
        key = (width, id(ctx))
        if key != self._key:
            # A new width or theme: every paragraph counts as an estimate until it is shown
            # (or :meth:`settle` gets to it); nothing off screen is rendered now.
            self._key = key
            self._counts = [self._estimate(k, width) for k in range(len(self._paragraphs))]
            self._exact = [False] * len(self._counts)
            self._ends = None
            self._cache.clear()
            self._tail_dirty = True
        while len(self._counts) < len(self._paragraphs):
            # A paragraph just finished: it is rendered when a line of it is painted. A pane
            # streaming faster than it can be read shows only the last lines each refresh, so
            # paragraphs that scroll by unseen are never rendered: the cost follows what is
            # on screen, not the token rate.
            self._counts.append(self._estimate(len(self._counts), width))
            self._exact.append(False)
            self._ends = None
        if self._tail_dirty:
            tail = self._tail.strip("\n")
            if tail.strip():
                self._tail_lines = ctx.render(inline_markdown(tail, f"bold {ctx.palette.accent}"), width)
            else:
                self._tail_lines = []
            self._tail_dirty = False

    def _estimate(self, k: int, width: int) -> int:
        # Rough on purpose (no copy of the text): counted for every paragraph on a zoom.
        piece = self._pieces[self._paragraphs[k]]
        return len(piece) // max(1, width) + piece.count("\n") - 1

    def _paragraph_lines(self, k: int, width: int, ctx: RenderContext) -> list[Line]:
        lines = self._cache.get(k)
        if lines is None:
            lines = ctx.render(ctx.markdown(self._source(k)), width)
            self._cache[k] = lines
            while len(self._cache) > self.CACHED_PARAGRAPHS:
                self._cache.popitem(last=False)
            if not self._exact[k]:
                if self._counts[k] != len(lines):
                    self.count_changed = True  # an estimate was off: the lines after it moved
                self._counts[k] = len(lines)
                self._exact[k] = True
                self._ends = None
        else:
            self._cache.move_to_end(k)
        return lines

    def settle(self, width: int, ctx: RenderContext, budget_s: float) -> bool:
        """Replace estimates by exact counts for up to ``budget_s`` (newest first); whether
        any estimate is left."""
        self._at(width, ctx)
        deadline = time.perf_counter() + budget_s
        for k in range(len(self._counts) - 1, -1, -1):
            if not self._exact[k]:
                lines = ctx.render(ctx.markdown(self._source(k)), width)
                if self._counts[k] != len(lines):
                    self._counts[k], self._ends = len(lines), None
                    self.count_changed = True
                self._exact[k] = True
                if time.perf_counter() > deadline:
                    break
        return not self.settled

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
        while self.settle(width, ctx, 1.0):  # exact counts first, or the range falls short
            pass
        return super().lines(width, ctx)

    def _paragraph_ends(self) -> list[int]:
        if self._ends is None:
            self._ends = list(accumulate(c + (1 if k else 0) for k, c in enumerate(self._counts)))
        return self._ends

    def line_count(self, width: int, ctx: RenderContext) -> int:
        self._at(width, ctx)
        ends = self._paragraph_ends()
        body = ends[-1] if ends else 0
        tail = len(self._tail_lines)
        return body + tail + (1 if body and tail else 0)

    def line(self, index: int, width: int, ctx: RenderContext) -> Line:
        self._at(width, ctx)
        ends = self._paragraph_ends()
        body = ends[-1] if ends else 0
        if index >= body:
            index -= body + (1 if body else 0)
            return self._tail_lines[index] if 0 <= index < len(self._tail_lines) else ()
        k = bisect_right(ends, index)
        start = ends[k - 1] if k else 0
        local = index - start - (1 if k else 0)  # the air line before every paragraph but the first
        if local < 0:
            return ()
        lines = self._paragraph_lines(k, width, ctx)
        return lines[local] if local < len(lines) else ()


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
