"""The arena's one-line widgets: the run's status line and the key line."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.markup import escape
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

    KEY_NAMES = {"enter": "⏎", "escape": "esc", "slash": "/"}

    def show_keys(self, bindings: list[Binding], labels: dict[str, str]) -> None:
        """The given bindings' keys and descriptions (``labels``: another one, by action)."""
        shown = [f"[b $footer-key-foreground]{escape(b.key_display or self.KEY_NAMES.get(b.key, b.key))}[/] "
                 f"{escape(labels.get(b.action, b.description))}" for b in bindings]
        shown.append("[b $footer-key-foreground]^p[/] palette")
        self.show("  ".join(shown))
