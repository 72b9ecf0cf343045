"""The timeline chart: one row per agent on a shared time axis, each segment of the agent's
``AgentResult.timeline`` drawn as a coloured run of cells by kind, turn starts marked, one
segment in focus (arrows move it).

A cell is ``span / width`` seconds. Segments keep their place in time: a segment covers the
cells between its rounded start and end, so one shorter than half a cell gets none — except a
tool run or a retry wait, which takes one cell from a neighbour that has more than one (the
detail line below the chart gives the exact times either way). The layout is computed by the
pure functions here (``cell_owners``, ``axis_lines``), so it is tested without a screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import MouseMove
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from nanotui.engine.agent.timeline import TIMELINE_KINDS
from nanotui.engine.numbers import secs
from nanotui.engine.results import AgentResult, TimelineSegment
from nanotui.ui.widgets.theme_colors import theme_color

# Theme variables for each kind (as the other widgets take theirs; queued is panel-darken-2 on
# a light theme); the fallbacks are for a theme that lacks one.
KIND_COLOURS = {"queued": "panel-lighten-2", "waiting": "warning", "reasoning": "secondary",
                "streaming": "success", "tool": "primary", "retry": "error"}
KIND_FALLBACK = {"queued": "grey42", "waiting": "yellow", "reasoning": "magenta", "streaming": "green",
                 "tool": "blue", "retry": "red"}
ALWAYS_SHOWN = ("tool", "retry")  # kinds that get a cell even when shorter than one
TICK_STEPS = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600)
NAME_WIDTH = (16, 24)  # the agent names' column below / from WIDE_FROM columns
WIDE_FROM = 120
FIGURE_WIDTH = 9  # " 123.45 s" after each row: the agent's wall time
MIN_TICK_GAP = 6  # cells between ticks at least, so the axis stays readable
FOCUS_GLYPH = "━"
TURN_GLYPH = "▏"


def span_of(agents: Sequence[AgentResult]) -> float:
    """The axis: from 0 to the longest agent's wall time (or last segment end)."""
    ends = [max([a.wall_s, *(s.end_s for s in a.timeline)]) for a in agents if a.timeline]
    return max(ends, default=0.0)


def cell_owners(segments: Sequence[TimelineSegment], span: float, width: int) -> list[int | None]:
    """For each of ``width`` cells, the index of the segment drawn there (None: after the
    agent's end)."""
    owners: list[int | None] = [None] * max(width, 0)
    if span <= 0 or width <= 0:
        return owners
    scale = width / span
    for i, seg in enumerate(segments):
        for c in range(max(round(seg.start_s * scale), 0), min(round(seg.end_s * scale), width)):
            owners[c] = i
    counts = Counter(owners)
    for i, seg in enumerate(segments):
        if seg.kind not in ALWAYS_SHOWN or counts[i]:
            continue
        at = min(max(int(seg.start_s * scale), 0), width - 1)
        for c in (at, at - 1, at + 1):
            owner = owners[c] if 0 <= c < width else None
            if owner is not None and counts[owner] > 1:
                owners[c] = i
                counts[owner] -= 1
                counts[i] += 1
                break
    return owners


def turn_start_cells(segments: Sequence[TimelineSegment], span: float, width: int) -> set[int]:
    """Cells where a turn after the first begins (its first segment's start)."""
    if span <= 0 or width <= 0:
        return set()
    cells = set()
    for prev, seg in pairwise(segments):
        if seg.turn is not None and prev.turn is not None and seg.turn != prev.turn:
            cells.add(min(round(seg.start_s * width / span), width - 1))
    return cells


def focus_cells(owners: Sequence[int | None], segments: Sequence[TimelineSegment], index: int,
                span: float) -> list[int]:
    """The cells that show segment ``index``; one near its start when it has none of its own."""
    cells = [c for c, o in enumerate(owners) if o == index]
    if cells or not owners or span <= 0 or not 0 <= index < len(segments):
        return cells
    return [min(max(int(segments[index].start_s * len(owners) / span), 0), len(owners) - 1)]


def tick_step(span: float, width: int) -> float:
    """The smallest step whose labels (``123.5`` plus a gap) fit between the ticks."""
    if span <= 0 or width <= 0:
        return 1.0
    for step in TICK_STEPS:
        label = max(len(f"{step:g}"), len(f"{span - span % step:g}"))
        if step * width / span >= max(label + 2, MIN_TICK_GAP):
            return step
    return TICK_STEPS[-1] * max(1, round(span / TICK_STEPS[-1] / max(width // 8, 1)))


def axis_lines(span: float, width: int) -> tuple[str, str]:
    """The axis under the rows: a rule with a tick per step, and the tick labels (seconds,
    "s" after the last one that fits)."""
    rule = ["─"] * width
    labels = [" "] * width
    if span <= 0 or width <= 0:
        return "".join(rule), "".join(labels)
    step = tick_step(span, width)
    free_from = 0
    last_end = -1
    k = 0
    while k * step <= span + 1e-9:
        t = k * step
        c = min(round(t * width / span), width - 1)
        rule[c] = "┴" if 0 < c < width - 1 else ("└" if c == 0 else "┘")
        label = f"{t:g}"
        start = c if k == 0 else c - len(label) // 2
        if start >= free_from and start + len(label) <= width - 2:  # room for " s" after the last
            labels[start:start + len(label)] = label
            free_from = start + len(label) + 1
            last_end = start + len(label)
        k += 1
    if last_end >= 0:
        labels[last_end:last_end + 2] = " s"
    return "".join(rule), "".join(labels)


class TimelineChart(Widget, can_focus=True):
    """The chart itself: rows, axis, legend. Focus: ``agent`` (row) and ``segment`` (index into
    that agent's timeline)."""

    DEFAULT_CSS = """
    TimelineChart { height: auto; }
    """

    BINDINGS = [
        Binding("up", "agent(-1)", "Agent", key_display="↑↓", id="timeline.agent_up"),
        Binding("down", "agent(1)", "Agent", show=False, id="timeline.agent_down"),
        Binding("left", "segment(-1)", "Segment", key_display="←→", id="timeline.segment_left"),
        Binding("right", "segment(1)", "Segment", show=False, id="timeline.segment_right"),
        Binding("home", "first", "First", id="timeline.first"),
        Binding("end", "last", "Last", id="timeline.last"),
    ]

    class Moved(Message):
        """The focused agent or segment changed."""

        def __init__(self, agent: int, segment: int) -> None:
            super().__init__()
            self.agent = agent
            self.segment = segment

    def __init__(self, agents: Sequence[AgentResult], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agents = list(agents)
        self.span = span_of(self.agents)
        self.agent = 0
        self.segment = 0
        self._laid_out: tuple[int, list[tuple[list[int | None], set[int]]]] = (-1, [])
        self._drawn: tuple[tuple[Any, ...] | None, list[Strip]] = (None, [])
        self._rows: dict[int, tuple[tuple[Any, ...], list[Segment]]] = {}
        self._styles_for: tuple[str | None, dict[str, Style]] = (None, {})

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    # -- layout --------------------------------------------------------------------------

    @property
    def name_width(self) -> int:
        cap = NAME_WIDTH[1] if self.app.size.width >= WIDE_FROM else NAME_WIDTH[0]
        return max(4, min(cap, max((len(a.display_name) for a in self.agents), default=4)))

    @property
    def chart_width(self) -> int:
        return max(self.size.width - self.name_width - 1 - FIGURE_WIDTH, 10)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self.agents) + 3  # rows, the axis rule, its labels, the legend

    def _colour(self, kind: str) -> str:
        name = KIND_COLOURS.get(kind, "")
        if kind == "queued" and not self.app.current_theme.dark:
            name = "panel-darken-2"  # idle time a shade off the background, whichever way it goes
        return theme_color(self, name) or KIND_FALLBACK.get(kind, "grey50")

    def _layout(self, width: int) -> list[tuple[list[int | None], set[int]]]:
        """Each row's cell owners and turn-start cells at ``width`` (kept until the width
        changes: moving the focus redraws the chart, it does not lay it out again)."""
        if self._laid_out[0] != width:
            self._laid_out = (width, [(cell_owners(a.timeline, self.span, width),
                                       turn_start_cells(a.timeline, self.span, width)) for a in self.agents])
        return self._laid_out[1]

    def _row(self, index: int, width: int, styles: dict[str, Style]) -> list[Segment]:
        a = self.agents[index]
        focused = index == self.agent
        shown = a.display_name if len(a.display_name) <= self.name_width else a.display_name[: self.name_width - 1] + "…"
        name_style = styles["name:focus"] if focused and self.has_focus else styles["name:agent"] if focused else None
        line = [Segment(shown.ljust(self.name_width), name_style), Segment(" ")]
        if not a.timeline:
            line.append(Segment("(no event times for this agent)".ljust(width)[:width], styles["note"]))
        else:
            owners, turns = self._layout(width)[index]
            focus = set(focus_cells(owners, a.timeline, self.segment, self.span)) if focused else set()
            # Consecutive cells that look the same are one segment: a row is a few dozen
            # segments, not one per cell.
            run: tuple[str, Style | None] = ("", None)
            run_len = 0
            for c, owner in enumerate(owners):
                if owner is None:
                    cell: tuple[str, Style | None] = (" ", None)
                else:
                    kind = a.timeline[owner].kind
                    kind = kind if kind in styles else "?"  # a kind this version does not know
                    cell = ((FOCUS_GLYPH, styles["focus:" + kind]) if c in focus else
                            (TURN_GLYPH, styles["turn:" + kind]) if c in turns else (" ", styles[kind]))
                if cell != run:
                    if run_len:
                        line.append(Segment(run[0] * run_len, run[1]))
                    run, run_len = cell, 0
                run_len += 1
            if run_len:
                line.append(Segment(run[0] * run_len, run[1]))
        line.append(Segment(f"{secs(a.wall_s)} s".rjust(FIGURE_WIDTH), styles["dim"]))
        return line

    def _styles(self) -> dict[str, Style]:
        gap = theme_color(self, "background") or "black"
        fg = theme_color(self, "foreground") or "white"
        styles = {"dim": Style(dim=True), "note": Style(dim=True, italic=True), "bold": Style(bold=True),
                  "name:focus": Style(bold=True, reverse=True), "name:agent": Style(bold=True)}
        for kind in (*TIMELINE_KINDS, "?"):
            bg = self._colour(kind)
            styles.update({kind: Style.parse(f"on {bg}"), "focus:" + kind: Style.parse(f"bold {fg} on {bg}"),
                           "turn:" + kind: Style.parse(f"{gap} on {bg}"), "legend:" + kind: Style.parse(bg)})
        return styles

    def legend(self, styles: dict[str, Style]) -> list[Segment]:
        line = []
        for kind in TIMELINE_KINDS:
            line += [Segment("■", styles["legend:" + kind]), Segment(f" {kind}  ")]
        return [*line, Segment(TURN_GLYPH, styles["bold"]), Segment("turn starts", styles["dim"])]

    def draw(self) -> list[Strip]:
        """Every line of the chart: a row per agent, the axis rule, its labels, the legend.
        A row is kept until it looks different, so a key redraws the one or two rows whose
        focus changed."""
        width = self.chart_width
        theme = self.app.theme
        if self._styles_for[0] != theme:
            self._styles_for = (theme, self._styles())
        styles = self._styles_for[1]
        lines = []
        for i in range(len(self.agents)):
            focus = (self.segment, self.has_focus) if i == self.agent else None
            key = (width, self.name_width, theme, focus)
            if i not in self._rows or self._rows[i][0] != key:
                self._rows[i] = (key, self._row(i, width, styles))
            lines.append(self._rows[i][1])
        rule, labels = axis_lines(self.span, width)
        pad = " " * (self.name_width + 1)
        lines += [[Segment(pad + rule, styles["dim"])], [Segment(pad + labels, styles["dim"])], self.legend(styles)]
        base = self.rich_style  # the widget's own colours under the cells that set none
        return [Strip(line).crop_extend(0, self.size.width, None).apply_style(base) for line in lines]

    def render_line(self, y: int) -> Strip:
        # Drawn once per change (focus, width, theme), not once per line asked for.
        key = (self.size.width, self.app.size.width, self.agent, self.segment, self.has_focus, self.app.theme)
        if self._drawn[0] != key:
            self._drawn = (key, self.draw())
        lines = self._drawn[1]
        return lines[y] if 0 <= y < len(lines) else Strip.blank(self.size.width)

    # -- focus ---------------------------------------------------------------------------

    def focused_segment(self) -> TimelineSegment | None:
        if not self.agents:
            return None
        timeline = self.agents[self.agent].timeline
        return timeline[self.segment] if 0 <= self.segment < len(timeline) else None

    def move_to(self, agent: int, segment: int) -> None:
        if not self.agents:
            return
        self.agent = max(0, min(agent, len(self.agents) - 1))
        count = len(self.agents[self.agent].timeline)
        self.segment = max(0, min(segment, count - 1)) if count else 0
        self.refresh()
        if isinstance(self.parent, Widget):  # many agents in a short panel: keep the row in view
            # (the chart is its panel's only child, so row N is at N in the panel's content)
            self.parent.scroll_to_region(Region(0, self.agent, 1, 1), animate=False, immediate=True)
        self.post_message(self.Moved(self.agent, self.segment))

    def _segment_near(self, agent: int, t: float) -> int:
        """The segment of ``agent`` under time ``t``, so up/down keep the place in time."""
        timeline = self.agents[agent].timeline
        for i, seg in enumerate(timeline):
            if seg.start_s <= t < seg.end_s:
                return i
        return len(timeline) - 1 if timeline and t >= timeline[-1].end_s else 0

    def action_agent(self, delta: int) -> None:
        target = max(0, min(self.agent + delta, len(self.agents) - 1))
        seg = self.focused_segment()
        self.move_to(target, self._segment_near(target, seg.start_s) if seg is not None else 0)

    def action_segment(self, delta: int) -> None:
        self.move_to(self.agent, self.segment + delta)

    def action_first(self) -> None:
        self.move_to(self.agent, 0)

    def action_last(self) -> None:
        self.move_to(self.agent, len(self.agents[self.agent].timeline) - 1 if self.agents else 0)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_mouse_move(self, event: MouseMove) -> None:
        """Hovering a segment focuses it, as the arrows would."""
        row, cell = event.y, event.x - self.name_width - 1
        if not 0 <= row < len(self.agents) or not 0 <= cell < self.chart_width:
            return
        owner = self._layout(self.chart_width)[row][0][cell]
        if owner is not None and (row, owner) != (self.agent, self.segment):
            self.move_to(row, owner)
