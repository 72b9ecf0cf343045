"""How transcript blocks render: the app theme's colours as Rich styles (:class:`Palette`),
one private console and Markdown parser (:class:`RenderContext`), and compact rendered lines
(:data:`Line`)."""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass

from markdown_it import MarkdownIt
from rich.console import Console, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.style import Style
from rich.theme import Theme as RichTheme
from textual.strip import Strip


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
