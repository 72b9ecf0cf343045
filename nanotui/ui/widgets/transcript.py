"""An agent's transcript in one Line-API widget: text, tool calls, reasoning and notes as blocks.

Why not one widget per block: in Textual every mounted widget costs a stylesheet pass and every
height change re-lays-out the whole screen. Sixteen panes streaming Markdown widgets at 100
tokens/s each kept the event loop busy 300 ms at a time (keys answered in ~0.5 s). Here a pane's
transcript is one fixed-size widget that scrolls itself: blocks render to cached lines,
streaming only re-renders the paragraph in progress, a new line never triggers a layout pass
(a ScrollView's growing virtual size would), and painting touches the visible lines only.

Text is Markdown, rendered with Rich one paragraph ("chunk", split at blank lines outside code
fences) at a time, so a finished paragraph is rendered once per width.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from rich.console import Console, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from rich.theme import Theme as RichTheme
from textual import events
from textual.strip import Strip
from textual.widget import Widget

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
    """A part of the transcript that renders itself to lines at a width."""

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
        raise NotImplementedError


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
    Markdown once; the paragraph in progress is redrawn each tick with inline styles only."""

    def __init__(self) -> None:
        self.parts: list[str] = []  # exactly what arrived
        self._chunks: list[str] = []  # finished paragraphs (rendered once per width)
        self._tail = ""  # the paragraph in progress
        self._scan_from = 0
        self._cache_key: tuple[int, int] | None = None
        self._chunk_lines: list[list[Line]] = []
        self._tail_lines: list[Line] = []
        self._tail_dirty = True

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def append(self, text: str) -> None:
        self.parts.append(text)
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
            if head.strip():
                self._chunks.append(head.strip("\n"))
            self._tail = self._tail[cut + 2 :]
            self._scan_from = 0

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
        key = (width, id(ctx))
        if key != self._cache_key:
            self._cache_key = key
            self._chunk_lines = []
            self._tail_dirty = True
        while len(self._chunk_lines) < len(self._chunks):
            self._chunk_lines.append(ctx.render(ctx.markdown(self._chunks[len(self._chunk_lines)]), width))
        if self._tail_dirty:
            tail = self._tail.strip("\n")
            if tail.strip():
                self._tail_lines = ctx.render(inline_markdown(tail, f"bold {ctx.palette.accent}"), width)
            else:
                self._tail_lines = []
            self._tail_dirty = False
        out: list[Line] = []
        for chunk in self._chunk_lines:
            if out:
                out.append(())
            out.extend(chunk)
        if self._tail_lines:
            if out:
                out.append(())
            out.extend(self._tail_lines)
        return out


def _prefixed(lines: list[Line], prefix: str, style: Style, ctx: RenderContext) -> list[Line]:
    bar = (prefix, ctx.style_number(style))
    return [(bar, *line) for line in lines]


class ToolBlock(Block):
    """One tool call: tool, key argument, then ok/error and the result's size."""

    def __init__(self, call: ToolCall) -> None:
        self.call = call

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
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

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
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

    def lines(self, width: int, ctx: RenderContext) -> list[Line]:
        return ctx.render(Text(self.text, style=getattr(ctx.palette, self.colour)), width)


class TranscriptView(Widget, can_focus=False):
    """Blocks in order. Follows the end while new lines arrive, unless the user scrolled up
    (then the last row says how much is below; ``end`` follows again)."""

    DEFAULT_CSS = """
    TranscriptView {
        height: 1fr;
    }
    """

    def __init__(self, placeholder: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.blocks: list[Block] = []
        self.placeholder = placeholder
        self.follow = True
        self.top = 0  # first line shown
        self._lines: list[Line] = []
        self._starts: list[int] = []  # first line of each block
        self._dirty_from: int | None = 0
        self._index: dict[int, int] = {}  # id(block) -> position
        self._width = 0
        self._ctx: RenderContext | None = None
        self._painted: dict[int, Strip] = {}  # line index -> strip ready to paint (lines on screen)
        self._base_style: Style | None = None  # the widget's own style (costly to compute per line)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self._mark(0)
        self.update_lines()

    # -- content ----------------------------------------------------------------------------

    def add(self, block: Block) -> Block:
        self._index[id(block)] = len(self.blocks)
        self.blocks.append(block)
        self._mark(len(self.blocks) - 1)
        return block

    def changed(self, block: Block) -> None:
        self._mark(self._index[id(block)])

    def set_placeholder(self, text: str) -> None:
        if text != self.placeholder:
            self.placeholder = text
            self._mark(0)

    def _mark(self, position: int) -> None:
        self._dirty_from = position if self._dirty_from is None else min(self._dirty_from, position)

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.blocks if isinstance(b, TextBlock))

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def toggle_reasoning(self) -> bool:
        blocks = [b for b in self.blocks if isinstance(b, ReasoningBlock)]
        if not blocks:
            return False
        expand = not all(b.expanded for b in blocks)
        for b in blocks:
            b.expanded = expand
            self.changed(b)
        self.update_lines()
        return True

    # -- rendering --------------------------------------------------------------------------

    def _render_context(self) -> RenderContext:
        app = self.app
        key = app.theme or ""
        if self._ctx is None or self._ctx.palette.key != key:
            palette = Palette.from_variables(key, app.current_theme.dark, app.theme_variables)
            self._ctx = RenderContext(palette)
            self._dirty_from = 0
            self._painted.clear()
        return self._ctx

    def update_lines(self) -> None:
        """Re-render what changed (from the first changed block on) and repaint."""
        width = self.size.width
        if width <= 0 or not self.is_attached:
            return
        ctx = self._render_context()
        if width != self._width:
            self._width = width
            self._dirty_from = 0
            self._painted.clear()
        style = self.rich_style
        if style != self._base_style:
            self._base_style = style
            self._painted.clear()
        if self._dirty_from is None:
            return
        start = min(self._dirty_from, len(self._starts))  # _starts is empty while the placeholder shows
        keep = self._starts[start] if start < len(self._starts) else len(self._lines)
        if not self._starts:
            keep = 0
        lines = self._lines[:keep]
        starts = self._starts[:start]
        for position in range(start, len(self.blocks)):
            block = self.blocks[position]
            starts.append(len(lines))  # a block's lines include the air before it
            if position and (isinstance(block, TextBlock) or isinstance(self.blocks[position - 1], TextBlock)):
                lines.append(())  # air around text; tool calls stack tightly
            lines.extend(block.lines(width, ctx))
        if not self.blocks and self.placeholder:
            lines = ctx.render(Text(self.placeholder, style="dim italic"), width)
        if keep == 0:
            self._painted.clear()
        else:
            for index in [i for i in self._painted if i >= keep]:
                del self._painted[index]
        self._lines, self._starts, self._dirty_from = lines, starts, None
        self._place()
        self.refresh()

    def _max_top(self) -> int:
        return max(0, len(self._lines) - self.size.height)

    def _place(self) -> None:
        self.top = self._max_top() if self.follow else min(self.top, self._max_top())
        # keep strips for the lines on screen only
        low, high = self.top, self.top + self.size.height
        for index in [i for i in self._painted if not low <= i < high]:
            del self._painted[index]

    def on_resize(self, event: events.Resize) -> None:
        self.update_lines()
        self._place()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self._base_style or self.rich_style
        below = len(self._lines) - (self.top + self.size.height)
        if not self.follow and below > 0 and y == self.size.height - 1:
            hint = Text(f"▼ {below + 1} more line{'s' if below else ''} · end: follow", style="dim reverse")
            ctx = self._render_context()
            return ctx.strip(ctx.render(hint, width)[0]).crop_extend(0, width, style).apply_style(style)
        index = self.top + y
        if index >= len(self._lines):
            return Strip.blank(width, style)
        strip = self._painted.get(index)
        if strip is None or strip.cell_length != width:
            line = (self._ctx or self._render_context()).strip(self._lines[index])
            strip = self._painted[index] = line.crop_extend(0, width, style).apply_style(style)
        return strip

    # -- scrolling and clicks -----------------------------------------------------------------

    def scroll_for_user(self, where: str) -> None:
        """Scroll as the user asked; leaving the end stops following new lines."""
        height = max(1, self.size.height)
        step = {"up": -1, "down": 1, "page_up": -(height - 1), "page_down": height - 1}
        if where == "home":
            self.top = 0
        elif where == "end":
            self.top = self._max_top()
        else:
            self.top = max(0, min(self._max_top(), self.top + step[where]))
        self.follow = self.top >= self._max_top()
        self._place()
        self.refresh()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        for _ in range(3):
            self.scroll_for_user("up")

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        for _ in range(3):
            self.scroll_for_user("down")

    def on_click(self, event: events.Click) -> None:
        line = self.top + event.y
        for position, start in enumerate(self._starts):
            block = self.blocks[position]
            head = start + (1 if start < len(self._lines) and not self._lines[start] else 0)
            if head == line and isinstance(block, ReasoningBlock):
                block.expanded = not block.expanded
                self.changed(block)
                self.update_lines()
                return
