"""How the arena lays out its panes: as many readable panes as the terminal allows."""

from __future__ import annotations

import math

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
