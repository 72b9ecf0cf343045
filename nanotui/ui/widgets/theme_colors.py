"""Theme colours for Rich ``Text`` cells (DataTable cells are Rich renderables, which know
nothing of Textual's ``$success`` variables)."""

from __future__ import annotations

from textual.widget import Widget

FALLBACK = {"success": "green", "error": "red", "warning": "yellow", "accent": "cyan", "primary": "blue"}


def theme_color(widget: Widget, name: str) -> str:
    """The current theme's colour for a variable such as ``success`` or ``error``."""
    value = widget.app.theme_variables.get(name) if widget.is_attached else None
    return value or FALLBACK.get(name, "")
