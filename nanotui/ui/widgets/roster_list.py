"""The model roster on the home screen: a toggle per model, its readiness and what to do
about it, and the estimated minimum cost of the task's first turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from nanotui.ui.widgets.theme_colors import theme_color


@dataclass(frozen=True)
class Readiness:
    """What the roster shows for one entry. ``ready`` is None while it is being checked."""

    ready: bool | None
    state: str  # "ready", "missing key", "ollama down", ...
    detail: str = ""
    action: str = ""


CHECKING = Readiness(None, "checking…")
READY_WIDTH = 17  # "✗ no tool support"
COST_WIDTH = 10
NARROW_MODEL_WIDTH = 20  # without the Spec column (narrow terminals), names are cut to this


def readiness_text(r: Readiness, *, warning: str = "yellow") -> Text:
    """One line: what to do first when the model is not ready, then what was found."""
    text = Text()
    if r.ready is False and r.action:
        text.append(r.action, style=f"bold {warning}")
        if r.detail:
            text.append(f" · {r.detail}", style="dim")
    else:
        text.append(r.detail, style="dim" if r.ready else "")
        if r.action:
            text.append(f" · {r.action}", style=warning)
    return text


def format_cost(cost: float | None, *, known: bool = True) -> str:
    if not known:
        return "…"
    if cost is None:
        return "price ?"
    if cost == 0:
        return "$0"
    return f"≥${cost:.4f}" if cost >= 0.0001 else f"≥${cost:.6f}"


class RosterTable(DataTable[Any]):
    """One row per roster entry (row key = entry name). Space toggles, ``a`` picks every
    ready entry, ``n`` clears, enter asks the screen to start the run."""

    BINDINGS = [
        Binding("space", "toggle", "Toggle", id="roster.toggle"),
        Binding("a", "all_ready", "All ready", id="roster.all_ready"),
        Binding("n", "select_none", "None", id="roster.none"),
        Binding("enter", "start", "Run", id="roster.start"),
    ]

    class SelectionChanged(Message):
        def __init__(self, selected: list[str]) -> None:
            super().__init__()
            self.selected = selected

    class StartRequested(Message):
        pass

    class ReadinessChanged(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, specs: list[Any], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.specs = {s.name: s for s in specs}
        self.order = [s.name for s in specs]
        self.selected: set[str] = set()
        self.readiness: dict[str, Readiness] = {name: CHECKING for name in self.order}
        self.costs: dict[str, float | None] = {}
        self._action_width = 40
        self._with_spec = True

    COLUMN_KEYS = ("on", "model", "spec", "ready", "cost", "action")
    ACTION_LABEL = "Details · what to do"

    SPEC_FROM = 110  # table columns: narrower, the Spec column moves to the detail line

    def on_mount(self) -> None:
        self._build()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.repaint_rows())

    @property
    def show_spec(self) -> bool:
        return self.scrollable_content_region.width >= self.SPEC_FROM or not self.size.width

    def _build(self) -> None:
        # Every column has a set width (none is sized from its cells): what a row shows
        # never depends on when the table last measured its contents.
        keep = self.highlighted_name
        self._with_spec = self.show_spec
        names = [s.display_name for s in self.specs.values()]
        specs = [s.spec for s in self.specs.values()]
        self.clear(columns=True)
        self.add_column(" ", key="on", width=1)
        longest = max(map(len, [*names, "Model"]))
        self.add_column("Model", key="model", width=longest if self._with_spec else min(longest, NARROW_MODEL_WIDTH))
        if self._with_spec:
            self.add_column("Spec", key="spec", width=max(map(len, [*specs, "Spec"])))
        self.add_column("Readiness", key="ready", width=READY_WIDTH)
        self.add_column(Text("1st turn", justify="right"), key="cost", width=COST_WIDTH)
        self.add_column(self.ACTION_LABEL, key="action", width=self._action_width)
        for name in self.order:
            self.add_row(*self._row(name), key=name)
        if keep is not None:
            self.move_cursor(row=self.order.index(keep))

    @property
    def spec_column(self) -> bool:
        """Whether the table shows the Spec column now (narrow terminals leave it out)."""
        return self._with_spec

    def _row(self, name: str) -> list[Any]:
        cells = self._cells(name)
        return cells if self._with_spec else [c for key, c in zip(self.COLUMN_KEYS, cells) if key != "spec"]

    def on_resize(self) -> None:
        if self.show_spec != self._with_spec:
            self._build()
        # The last column takes what is left, so the table never needs a sideways
        # scrollbar; the full text of the highlighted row is shown below the table.
        fixed = sum(c.get_render_width(self) for key, c in self.columns.items() if key != "action")
        width = max(12, self.scrollable_content_region.width - fixed - 2 * self.cell_padding)
        if width != self._action_width:
            self._action_width = width
            self.remove_column("action")
            self.add_column(self.ACTION_LABEL, key="action", width=width)
            for name in self.order:
                self.update_cell(name, "action", self._action_cell(name))

    def repaint_rows(self) -> None:
        """Re-render every row (colours come from the theme)."""
        for name in self.order:
            for key, value in zip(self.COLUMN_KEYS, self._cells(name)):
                if key in self.columns:
                    self.update_cell(name, key, value)

    # -- cells ---------------------------------------------------------------------------

    def _mark(self, name: str) -> Text:
        return Text("☑", style=f"bold {theme_color(self, 'success')}") if name in self.selected else Text("☐", style="dim")

    def _ready_cell(self, name: str) -> Text:
        r = self.readiness[name]
        if r.ready is None:
            return Text(r.state, style="dim italic")
        style = theme_color(self, "success" if r.ready else "error")
        return Text(("✓ " if r.ready else "✗ ") + r.state, style=style)

    def _action_cell(self, name: str) -> Text:
        """Not ready: what to do (the detail when there is no action). Ready: the detail,
        plus the action when there is one (e.g. an unknown price)."""
        text = readiness_text(self.readiness[name], warning=theme_color(self, "warning"))
        text.truncate(self._action_width, overflow="ellipsis")
        return text

    def _cost_cell(self, name: str) -> Text:
        return Text(format_cost(self.costs.get(name), known=name in self.costs), justify="right")

    def _cells(self, name: str) -> list[Any]:
        spec = self.specs[name]
        model = Text(spec.display_name)
        if not self._with_spec:
            model.truncate(NARROW_MODEL_WIDTH, overflow="ellipsis")
        return [self._mark(name), model, Text(spec.spec, style="dim"),
                self._ready_cell(name), self._cost_cell(name), self._action_cell(name)]

    # -- updates -------------------------------------------------------------------------

    def set_readiness(self, name: str, readiness: Readiness) -> None:
        if name not in self.readiness:
            return
        self.readiness[name] = readiness
        self.update_cell(name, "ready", self._ready_cell(name))
        self.update_cell(name, "action", self._action_cell(name))
        self.post_message(self.ReadinessChanged(name))

    def set_cost(self, name: str, cost: float | None) -> None:
        if name not in self.readiness:
            return
        self.costs[name] = cost
        self.update_cell(name, "cost", self._cost_cell(name))

    def clear_costs(self) -> None:
        self.costs.clear()
        for name in self.order:
            self.update_cell(name, "cost", self._cost_cell(name))

    def set_selected(self, names: set[str]) -> None:
        self.selected = {n for n in names if n in self.specs}
        for name in self.order:
            self.update_cell(name, "on", self._mark(name))
        self.post_message(self.SelectionChanged(self.selected_names))

    @property
    def selected_names(self) -> list[str]:
        """Selected entries in roster order (the order panes appear in)."""
        return [n for n in self.order if n in self.selected]

    @property
    def highlighted_name(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    # -- actions -------------------------------------------------------------------------

    def action_toggle(self) -> None:  # type: ignore[override]  # the space binding; DOMNode.action_toggle is never bound here
        name = self.highlighted_name
        if name is not None:
            self.set_selected(self.selected ^ {name})

    def action_all_ready(self) -> None:
        ready = {n for n, r in self.readiness.items() if r.ready}
        if not ready:
            self.notify("No model is ready yet — see “What to do”.", severity="warning")
            return
        self.set_selected(ready)

    def action_select_none(self) -> None:
        self.set_selected(set())

    def action_start(self) -> None:
        self.post_message(self.StartRequested())
