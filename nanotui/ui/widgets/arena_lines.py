"""The arena's one-line widgets: the run's status line and the key line."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class StatusLine(Widget):
    """The run's one-line summary, repainted in place (no layout pass)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.markup = ""
        self._content = Content("")

    def show(self, markup: str) -> None:
        if markup != self.markup:
            self.markup = markup
            self._content = Content.from_markup(markup)  # parsed once, not per repaint
            self.refresh()

    def render(self) -> Content:
        return self._content


class KeyHints(StatusLine):
    """The arena's key line. Textual's Footer rebuilds its key widgets on every focus change,
    which cost ~40 ms per arrow key with sixteen panes streaming; this line is redrawn only
    when what the keys do changes (zoom, run over)."""
