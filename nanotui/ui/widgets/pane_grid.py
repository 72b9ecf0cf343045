"""How the arena lays out its panes: as many readable panes as the terminal allows, or one zoomed."""

from __future__ import annotations

import math

from textual.containers import Grid
from textual.widget import Widget

# A pane narrower or lower than this is hard to read (its header needs ~36 columns); the
# grid trades columns for rows to stay above it where the terminal allows.
MIN_PANE_WIDTH = 36
MIN_PANE_HEIGHT = 8
CELL_ASPECT = 2.2  # terminal cells are about twice as tall as wide


def grid_shape(count: int, width: int, height: int) -> tuple[int, int]:
    """(columns, rows) for ``count`` panes in ``width`` x ``height`` cells: among the shapes
    whose panes stay readable, the one whose smaller pane side (in square units) is largest;
    ties go to fewer columns."""
    if count <= 1:
        return 1, 1
    shapes = []
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        if (cols - 1) * rows >= count:  # a whole column would be empty
            continue
        pane_w, pane_h = width / cols, height / rows
        readable = pane_w >= MIN_PANE_WIDTH and pane_h >= MIN_PANE_HEIGHT
        shapes.append((readable, min(pane_w, CELL_ASPECT * pane_h), -cols, rows))
    readable, _, neg_cols, rows = max(shapes)
    return -neg_cols, rows


class PaneGrid(Grid):
    """The arena's panes in a grid of ``grid_shape``; a zoom shows one pane alone.

    Why not Textual's maximize: it sets a class on the screen, which restyles every widget on
    it (about 70 with sixteen panes: 25-50 ms of one key on the Xeon). Hiding the other panes
    with inline styles and making the grid one cell costs a layout pass only."""

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self.zoomed: Widget | None = None
        self._shape = (1, 1)

    def set_shape(self, columns: int, rows: int) -> None:
        self._shape = (columns, rows)
        if self.zoomed is None:
            self._apply(columns, rows)

    def zoom(self, pane: Widget | None) -> None:
        """Show ``pane`` alone (``None``: every pane again)."""
        if pane is self.zoomed:
            return
        self.zoomed = pane
        for child in self.children:
            child.display = pane is None or child is pane
        self._apply(*(self._shape if pane is None else (1, 1)))

    def _apply(self, columns: int, rows: int) -> None:
        self.styles.grid_size_columns = columns
        self.styles.grid_size_rows = rows
        self.styles.grid_columns = "1fr"
        self.styles.grid_rows = "1fr"


FULL_RATE_PANES = 8  # a grid of more panes than this refreshes at half the rate


def refresh_every(visible_panes: int) -> int:
    """Arena ticks per refresh for ``visible_panes`` panes on screen. Sixteen panes streaming
    at 100 tokens/s each took the UI process to 64 % of a core at 10 refreshes a second
    (2-core Intel Xeon; two thirds of it Textual compositing the panes' lines) and to 45 % at
    5: a grid that big refreshes at 5 Hz, a zoomed pane or a smaller grid at 10."""
    return 2 if visible_panes > FULL_RATE_PANES else 1
