"""An agent's transcript in one Line-API widget: text, tool calls, reasoning and notes as blocks.

Why not one widget per block: in Textual every mounted widget costs a stylesheet pass and every
height change re-lays-out the whole screen. Sixteen panes streaming Markdown widgets at 100
tokens/s each kept the event loop busy 300 ms at a time (keys answered in ~0.5 s). Here a pane's
transcript is one fixed-size widget that scrolls itself: the view keeps where each block starts
and asks blocks for the lines it paints (``transcript_blocks.py``), a new line never triggers a
layout pass (a ScrollView's growing virtual size would), and painting touches the visible lines
only. The view holds no rendered lines itself, so its memory does not grow with the transcript.
"""

from __future__ import annotations

from bisect import bisect_right

from rich.style import Style
from rich.text import Text
from textual import events
from textual.strip import Strip
from textual.widget import Widget

from nanotui.ui.widgets.transcript_blocks import (
    Block,
    Line,
    NoteBlock,
    Palette,
    ReasoningBlock,
    RenderContext,
    TextBlock,
    ToolBlock,
    inline_markdown,
)
from nanotui.ui.widgets.transcript_find import find_matches, highlight, line_of

__all__ = [
    "Block", "Line", "NoteBlock", "Palette", "ReasoningBlock", "RenderContext", "TextBlock", "ToolBlock",
    "TranscriptView", "inline_markdown",
]

# Exact line counts for paragraphs still estimated after a width change, per refresh: small
# enough not to delay a key, large enough to settle a 200,000-character pane in seconds.
SETTLE_BUDGET_S = 0.004


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
        self._total = 0  # lines in all blocks, air included
        self._starts: list[int] = []  # first line of each block (its air line, if it has one)
        self._placeholder_lines: list[Line] = []
        self._dirty_from: int | None = 0
        self._index: dict[int, int] = {}  # id(block) -> position
        self._width = 0
        self._ctx: RenderContext | None = None
        self._painted: dict[int, Strip] = {}  # line index -> strip ready to paint (lines on screen)
        self._base_style: Style | None = None  # the widget's own style (costly to compute per line)
        self._unsettled = False  # some text block still counts a paragraph by estimate
        self._recount_due = False
        self._prepared: tuple[int, ...] | None = None  # what :meth:`prepare` last rendered ahead
        self._needle = ""  # what the find box looks for (lower case); "" = nothing
        self._current = 0  # the match shown, in order
        self._found_line: int | None = None  # the line it is on

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
        block.invalidate()
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
        return self._total if self.blocks else len(self._placeholder_lines)

    @property
    def stale(self) -> bool:
        """Blocks changed since the lines were last counted."""
        return self._dirty_from is not None

    @property
    def rendered_width(self) -> int:
        """The width the line counts are for (the widget's once it has been laid out)."""
        return self._width

    def all_lines(self) -> list[Line]:
        """Every line as shown (tests; renders the whole transcript, exact counts first)."""
        ctx = self._render_context()
        for block in self.blocks:
            if isinstance(block, TextBlock):
                block.lines(self._width, ctx)
        self._mark(0)
        self.update_lines()
        return [self._line(i) for i in range(self.line_count)]

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

    def _has_air(self, position: int) -> bool:
        """A blank line before the block: around text; tool calls stack tightly."""
        return position > 0 and (isinstance(self.blocks[position], TextBlock)
                                 or isinstance(self.blocks[position - 1], TextBlock))

    def update_lines(self) -> None:
        """Recount what changed (from the first changed block on) and repaint."""
        if self._lay_out():
            self.refresh()

    def _lay_out(self) -> bool:
        """Recount what changed and render what the next frame shows; whether anything did."""
        width = self.size.width
        if width <= 0 or not self.is_attached:
            return False
        ctx = self._render_context()
        resized = width != self._width
        if resized:
            self._width = width
            self._dirty_from = 0
            self._painted.clear()
        style = self.rich_style
        if style != self._base_style:
            self._base_style = style
            self._painted.clear()
        if self._unsettled and not self.follow and not resized:
            # Positions matter once the reader scrolls back; not in a zoom's own frame, though.
            self._settle(width, ctx)
        if self._dirty_from is None:
            return False
        # Render what the next frame shows now, in this pane's slice of the refresh, not in
        # the compositor's frame (which paints every pane at once); showing a paragraph can
        # turn its estimated line count exact and move the view, hence the few rounds.
        for _ in range(3):
            self._recount(width, ctx)
            for index in range(self.top, min(self.top + self.size.height, self.line_count)):
                self._line(index)
            if self._dirty_from is None:
                break
        return True

    def _recount(self, width: int, ctx: RenderContext) -> None:
        """Where each block starts, from the first changed block on; then place the view."""
        if self._dirty_from is None:
            return
        start = min(self._dirty_from, len(self._starts))
        starts = self._starts[:start]
        total = self._starts[start] if start < len(self._starts) else self._total
        if start == 0:
            total = 0
        keep = total
        for position in range(start, len(self.blocks)):
            starts.append(total)
            total += (1 if self._has_air(position) else 0) + self.blocks[position].line_count(width, ctx)
        self._placeholder_lines = (
            ctx.render(Text(self.placeholder, style="dim italic"), width)
            if not self.blocks and self.placeholder else []
        )
        self._unsettled = any(isinstance(b, TextBlock) and not b.settled for b in self.blocks)
        if keep == 0:
            self._painted.clear()
        else:
            for index in [i for i in self._painted if i >= keep]:
                del self._painted[index]
        self._total, self._starts, self._dirty_from = total, starts, None
        self._place()

    def _settle(self, width: int, ctx: RenderContext) -> None:
        """Turn a little more of the estimated line counts exact (after a width change)."""
        for position in range(len(self.blocks) - 1, -1, -1):
            block = self.blocks[position]
            if isinstance(block, TextBlock) and not block.settled:
                block.settle(width, ctx, SETTLE_BUDGET_S)
                self._moved(position)
                return

    def _moved(self, position: int) -> None:
        """A block's line count changed while it was being read: recount from there."""
        block = self.blocks[position]
        if isinstance(block, TextBlock) and block.count_changed:
            block.count_changed = False
            self._mark(position)
            self._painted.clear()

    def _max_top(self) -> int:
        return max(0, self.line_count - self.size.height)

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

    def _line(self, index: int) -> Line:
        ctx = self._ctx or self._render_context()
        if not self.blocks:
            return self._placeholder_lines[index] if index < len(self._placeholder_lines) else ()
        position = bisect_right(self._starts, index) - 1
        if position < 0:
            return ()
        local = index - self._starts[position]
        if self._has_air(position):
            if local == 0:
                return ()
            local -= 1
        # Blocks answer an index past their end with an empty line: no line count here (a
        # text block's costs a pass over its paragraphs after each one becomes exact).
        line = self.blocks[position].line(local, self._width, ctx)
        self._moved(position)
        return line

    def render_line(self, y: int) -> Strip:
        size = self.size  # not free: it walks up to the screen
        width, height = size.width, size.height
        style = self._base_style or self.rich_style
        below = self.line_count - (self.top + height)
        if not self.follow and below > 0 and y == height - 1:
            hint = Text(f"▼ {below + 1} more line{'s' if below else ''} · end: follow", style="dim reverse")
            ctx = self._render_context()
            return ctx.strip(ctx.render(hint, width)[0]).crop_extend(0, width, style).apply_style(style)
        if width != self._width:
            # A new size (a zoom): lay out now, in this frame, rather than paint it blank and
            # wait for the Resize event's frame (two frames of the whole screen for one key).
            self._lay_out()
            style = self._base_style or style
        index = self.top + y
        if index >= self.line_count or width != self._width:
            return Strip.blank(width, style)
        strip = self._painted.get(index)
        if strip is None or strip.cell_length != width:
            ctx = self._ctx or self._render_context()
            line = self._line(index)
            if self._needle:
                line = highlight(line, self._needle, self._match_style(index == self._found_line), ctx)
            strip = self._painted[index] = ctx.strip(line).crop_extend(0, width, style).apply_style(style)
        if self._dirty_from is not None and not self._recount_due:  # an estimate became exact while painting
            self._recount_due = True
            self.call_later(self._update_after_paint)
        return strip

    def prepare(self, width: int, height: int) -> None:
        """Render ahead what this view would show first at ``width`` (a zoom): the screen at
        the current top line and the last screen, so the zoom and its ``end`` paint from cached
        lines. Text blocks keep a layout per width; the view's own state is untouched."""
        done = (width, height, self.top, self.follow, self._total, len(self.blocks))
        if width <= 0 or not self.blocks or width == self._width or done == self._prepared:
            return
        self._prepared = done
        ctx = self._render_context()
        texts = [b for b in self.blocks if isinstance(b, TextBlock)]
        changed = [b.count_changed for b in texts]  # about the view's width, not this one
        for _ in range(2):  # the first pass turns estimates exact, which moves the end
            starts: list[int] = []
            total = 0
            for position, block in enumerate(self.blocks):
                starts.append(total)
                total += (1 if self._has_air(position) else 0) + block.line_count(width, ctx)
            top = max(0, total - height) if self.follow else min(self.top, max(0, total - height))
            for first in (top, max(0, total - height)):
                for index in range(first, min(total, first + height)):
                    position = bisect_right(starts, index) - 1
                    local = index - starts[position] - (1 if self._has_air(position) else 0)
                    if local >= 0:
                        self.blocks[position].line(local, width, ctx)
        for block, flag in zip(texts, changed):
            block.count_changed = flag
            if self._width > 0:
                block.line_count(self._width, ctx)  # back to the view's layout (``settled`` reads it)

    def _update_after_paint(self) -> None:
        self._recount_due = False
        self.update_lines()

    # -- find (the zoomed pane's ``/``; transcript_find.py) ------------------------------------

    def find(self, text: str, step: int = 0) -> tuple[int, int]:
        """Look for ``text`` (case-insensitive) in the whole transcript, rendered or not, and
        show match number ``current + step`` (wrapping; a new text starts at the first match).
        Returns (the match shown, counted from 1, or 0; how many there are)."""
        needle = text.lower()
        if needle != self._needle:
            self._needle, self._current = needle, 0
            step = 0
        self._painted.clear()
        self.refresh()
        width = self._width
        if not needle or width <= 0:
            self._found_line = None
            return 0, 0
        ctx = self._render_context()
        self._recount(width, ctx)
        matches = find_matches(self.blocks, needle, width, ctx)
        if not matches:
            self._found_line = None
            return 0, 0
        self._current = (self._current + step) % len(matches)
        match = matches[self._current]
        block = self.blocks[match.position]
        line = match.line
        if isinstance(block, TextBlock) and match.paragraph is not None:
            first, lines = block.paragraph_at(match.paragraph, width, ctx)
            line = first + line_of(lines, needle, match.nth)
            self._moved(match.position)  # showing it may have made its line count exact
            self._recount(width, ctx)
        self._found_line = self._starts[match.position] + (1 if self._has_air(match.position) else 0) + line
        height = max(1, self.size.height)
        if not self.top <= self._found_line < self.top + height - 1:
            self.top = max(0, min(self._max_top(), self._found_line - height // 3))
        self.follow = False
        self._place()
        return self._current + 1, len(matches)

    def _match_style(self, current: bool) -> Style:
        palette = self._render_context().palette
        if current:
            return Style(color="black", bgcolor=palette.accent, bold=True)
        return Style(reverse=True)

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
            head = start + (1 if self._has_air(position) else 0)
            if head == line and isinstance(block, ReasoningBlock):
                block.expanded = not block.expanded
                self.changed(block)
                self.update_lines()
                return
