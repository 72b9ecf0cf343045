"""The first screen: pick a task from the ladder, pick models from the roster, start.

Readiness and cost estimates are computed in thread workers: the readiness probes and the
tokenizer must never hold up the UI.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from nanotui.ui.widgets.roster_list import Readiness, RosterTable, format_cost
from nanotui.ui.widgets.task_list import TaskPicker, TaskTable
from nanotui.ui.widgets.task_preview import TaskPreview

if TYPE_CHECKING:
    from nanotui.engine.roster.spec import ModelSpec
    from nanotui.engine.run.plan import RunPlan
    from nanotui.ui.app import NanotuiApp


NARROW_BELOW = 120  # columns
SHORT_BELOW = 34  # rows


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+r", "start", "Run", id="home.start"),
        Binding("ctrl+l", "recheck", "Re-check models", id="home.recheck"),
    ]

    def __init__(self, tasks: list[Any], specs: list[ModelSpec], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasks = tasks
        self.specs = specs
        self._specs_by_name = {s.name: s for s in specs}
        self._cost_task_id: str | None = None
        self._not_ready: list[str] = []  # display names of the models started though not ready
        self._tasks_by_id = {t.id: t for t in tasks}
        # First-turn estimates of the marked tasks: (task id, roster name) -> USD or None.
        self._suite_costs: dict[tuple[str, str], float | None] = {}

    @property
    def nanotui(self) -> NanotuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home-top"):
            yield TaskPicker(self.tasks, id="tasks", classes="panel")
            yield TaskPreview(id="preview", classes="panel")
        with Vertical(id="roster-box", classes="panel") as box:
            box.border_title = "Models"
            yield RosterTable(self.specs, id="roster")
            yield Static(id="roster-detail")
            yield Static(id="selection-summary")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # On the model list enter runs (shown there); ctrl+r is for starting from elsewhere.
        if action == "start":
            return not isinstance(self.focused, RosterTable)
        return True

    def on_resize(self) -> None:
        # A fresh macOS Terminal or tmux window is 80x24: the layout tightens below these.
        self.set_class(self.size.width < NARROW_BELOW, "-narrow")
        self.set_class(self.size.height < SHORT_BELOW, "-short")
        if self.is_mounted:
            self._update_roster_detail()

    @property
    def picker(self) -> TaskPicker:
        return self.query_one(TaskPicker)

    @property
    def roster(self) -> RosterTable:
        return self.query_one(RosterTable)

    def on_mount(self) -> None:
        self.sub_title = "pick a task, pick models, run"
        settings = self.nanotui.settings
        if settings.task_id:
            self.picker.select(settings.task_id)
        self.roster.set_selected(set(settings.models))
        self.picker.table.focus()
        # After the first frame: the probes' imports (httpx, the SDKs, the price data) hold
        # the GIL for a few hundred ms and would hold up drawing the task list.
        self.call_after_refresh(self.check_readiness)

    # -- task side -----------------------------------------------------------------------

    def on_task_picker_highlighted(self, message: TaskPicker.Highlighted) -> None:
        self.query_one(TaskPreview).show(message.task)
        task_id = message.task.id if message.task is not None else None
        if task_id != self._cost_task_id:
            self._cost_task_id = task_id
            self.roster.clear_costs()
            if message.task is not None:
                self.call_after_refresh(self.estimate_costs, message.task)  # the tokenizer loads: not before a frame
            self._update_summary()

    def on_task_picker_marks_changed(self, message: TaskPicker.MarksChanged) -> None:
        missing = [t for t in message.marked if not all((t, s.name) in self._suite_costs for s in self.specs)]
        if missing:
            self.estimate_suite_costs([self._tasks_by_id[t] for t in missing])
        self._update_summary()

    def on_task_table_chosen(self, message: TaskTable.Chosen) -> None:
        self.nanotui.settings.task_id = message.task_id
        self.nanotui.save_settings()
        self.roster.focus()

    # -- roster side ---------------------------------------------------------------------

    def on_roster_table_selection_changed(self, message: RosterTable.SelectionChanged) -> None:
        if self.is_mounted and self.nanotui.settings.models != message.selected:
            self.nanotui.settings.models = message.selected
            self.nanotui.save_settings()
        self._update_summary()

    def on_data_table_row_highlighted(self, message: Any) -> None:
        if message.data_table is self.roster:
            self._update_roster_detail()

    def on_roster_table_readiness_changed(self, message: RosterTable.ReadinessChanged) -> None:
        if message.name == self.roster.highlighted_name:
            self._update_roster_detail()

    def _update_roster_detail(self) -> None:
        """The full readiness line of the highlighted model (the table may cut it)."""
        name = self.roster.highlighted_name
        line = Text()
        if name is not None:
            spec = self._specs_by_name[name]
            r = self.roster.readiness[name]
            line.append(spec.display_name, style="bold")
            narrow = not self.roster.spec_column
            if narrow:  # the table has no room for the spec
                line.append(f" {spec.spec}", style="dim")
            line.append(": ", style="bold")
            if narrow and r.ready is False and r.action:  # the fix first: the line may be cut
                line.append("to fix: ", style="dim")
                line.append(r.action, style="bold")
                line.append(f" · {r.state}", style="italic")
                if r.detail:
                    line.append(f" — {r.detail}")
            else:
                line.append(r.state, style="italic")
                if r.detail:
                    line.append(f" — {r.detail}")
                if r.action:
                    line.append(" · to fix: " if r.ready is False else " · ", style="dim")
                    line.append(r.action, style="bold")
        self.query_one("#roster-detail", Static).update(line)

    def on_roster_table_start_requested(self, message: RosterTable.StartRequested) -> None:
        self.action_start()

    def _suite_line(self, marked: list[str], names: list[str]) -> Text:
        """Several tasks marked: the suite's size and its first-turn estimate."""
        models = f"{len(names)} model{'s' if len(names) != 1 else ''}"
        line = Text(f"{len(marked)} tasks × {models} = {len(marked) * len(names)} agents", style="bold")
        pairs = [(t, n) for t in marked for n in names]
        if pairs and all(p in self._suite_costs for p in pairs):
            known = [c for p in pairs if (c := self._suite_costs[p]) is not None]
            line.append(f" · first turns together {format_cost(sum(known)) if known else 'price ?'} (estimate)")
            if len(known) < len(pairs) and known:
                line.append(f" + {len(pairs) - len(known)} unknown price", style="dim")
        elif pairs:
            line.append(" · estimating…", style="dim")
        line.append(" · ")
        line.append("enter", style="bold")
        line.append(" on the models starts the suite")
        return line

    def _update_summary(self) -> None:
        roster = self.roster
        names = roster.selected_names
        marked = self.picker.marked_ids
        if len(marked) > 1 and names:
            self.query_one("#selection-summary", Static).update(self._suite_line(marked, names))
            return
        line = Text()
        if not names:
            line.append("No model selected — ", style="dim")
            line.append("space", style="bold")
            line.append(" toggles the highlighted model, " if self.roster.spec_column else " toggles, ", style="dim")
            line.append("a", style="bold")
            line.append(" selects every ready one.", style="dim")
        else:
            line.append(f"{len(names)} selected", style="bold")
            if all(n in roster.costs for n in names):
                known = [cost for n in names if (cost := roster.costs[n]) is not None]
                total = format_cost(sum(known)) if known else "price ?"
                unknown = len(names) - len(known)
                line.append(f" · first turn together {total} (estimate)")
                if unknown and known:
                    line.append(f" + {unknown} unknown price", style="dim")
            line.append(" · ")
            line.append("enter", style="bold")
            line.append(" on the list starts the run")
        self.query_one("#selection-summary", Static).update(line)

    # -- workers -------------------------------------------------------------------------

    def action_recheck(self) -> None:
        for name in self.roster.order:
            self.roster.set_readiness(name, Readiness(None, "checking…"))
        self.check_readiness()

    class ReadinessFound(Message):
        def __init__(self, name: str, readiness: Readiness) -> None:
            super().__init__()
            self.name = name
            self.readiness = readiness

    class CostFound(Message):
        def __init__(self, task_id: str, name: str, cost: float | None) -> None:
            super().__init__()
            self.task_id = task_id
            self.name = name
            self.cost = cost

    @work(thread=True, exclusive=True, group="readiness", exit_on_error=False)
    def check_readiness(self) -> None:
        """Probe every roster entry at once (about 1 s in all), in this thread's own event
        loop; messages are safe to post from a thread."""
        import importlib

        from nanotui.providers.readiness import check_all

        worker = get_current_worker()
        # Import what the probes use before they start: an import inside a probe blocks the
        # loop and eats into its 1 s bound (the tokenizer loads in another thread meanwhile).
        for module in ("httpx", "ollama", "genai_prices"):
            importlib.import_module(module)
        for r in asyncio.run(check_all(self.specs)):
            if worker.is_cancelled:
                return
            self.post_message(self.ReadinessFound(r.name, Readiness(r.ready, r.state, r.detail, r.action or "")))

    def on_home_screen_readiness_found(self, message: ReadinessFound) -> None:
        self.roster.set_readiness(message.name, message.readiness)

    @work(thread=True, exclusive=True, group="cost", exit_on_error=False)
    def estimate_costs(self, task: Any) -> None:
        from nanotui.engine.agent.first_turn import first_turn_min_cost

        worker = get_current_worker()
        prompt = task.render()
        for spec in self.specs:
            cost = first_turn_min_cost(spec, prompt)
            if worker.is_cancelled:
                return
            self.post_message(self.CostFound(task.id, spec.name, cost))

    class SuiteCostsFound(Message):
        def __init__(self, costs: dict[tuple[str, str], float | None]) -> None:
            super().__init__()
            self.costs = costs

    @work(thread=True, group="suite-cost", exit_on_error=False)
    def estimate_suite_costs(self, tasks: list[Any]) -> None:
        from nanotui.engine.agent.first_turn import first_turn_min_cost

        worker = get_current_worker()
        costs: dict[tuple[str, str], float | None] = {}
        for task in tasks:
            prompt = task.render()
            for spec in self.specs:
                if worker.is_cancelled:
                    return
                costs[(task.id, spec.name)] = first_turn_min_cost(spec, prompt)
        self.post_message(self.SuiteCostsFound(costs))

    def on_home_screen_suite_costs_found(self, message: SuiteCostsFound) -> None:
        self._suite_costs.update(message.costs)
        self._update_summary()

    def on_home_screen_cost_found(self, message: CostFound) -> None:
        if message.task_id == self._cost_task_id:
            self.roster.set_cost(message.name, message.cost)
            self._update_summary()

    # -- start ---------------------------------------------------------------------------

    def action_start(self) -> None:
        marked = self.picker.marked_ids
        task = self.picker.highlighted
        if marked:  # marked tasks run, wherever the cursor is (one alone, several as a suite)
            task = self._tasks_by_id[marked[0]]
        if task is None:
            self.notify("Pick a task first (no task matches the filter).", severity="warning")
            return
        names = self.roster.selected_names
        if not names:
            self.notify("Select at least one model: space toggles, a selects every ready one.", severity="warning")
            return
        # Said only once the plan is made: a plan that fails (a missing key) says why
        # itself, and "their panes will show the error" would contradict it.
        self._not_ready = [
            self._specs_by_name[n].display_name for n in names if self.roster.readiness[n].ready is False
        ]
        self.nanotui.settings.task_id = task.id
        self.nanotui.settings.models = names
        self.nanotui.save_settings()
        if len(marked) > 1:
            self.build_plan(marked, names)
        else:
            self.build_plan([task.id], names)

    class PlanReady(Message):
        """One plan per task: one task is a run, several a suite."""

        def __init__(self, plans: list[RunPlan]) -> None:
            super().__init__()
            self.plans = plans

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def build_plan(self, task_ids: list[str], names: list[str]) -> None:
        """plan_run reads task files and imports provider modules (and their SDKs)."""
        from nanotui.engine.errors import NanotuiError
        from nanotui.engine.run.plan import plan_run
        from nanotui.providers.registry import SdkProviders

        providers = SdkProviders()
        try:
            plans = [plan_run(models=names, task_id=task_id, providers=providers) for task_id in task_ids]
        except NanotuiError as exc:
            self.post_message(self.PlanFailed(str(exc)))
            return
        self.post_message(self.PlanReady(plans))

    class PlanFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def on_home_screen_plan_failed(self, message: PlanFailed) -> None:
        self.notify(message.error, title="Cannot start the run", severity="error", timeout=10)

    def on_home_screen_plan_ready(self, message: PlanReady) -> None:
        if self._not_ready:
            self.notify(f"Not ready: {', '.join(self._not_ready)} — their panes will show the error.",
                        severity="warning")
        if len(message.plans) == 1:
            self.nanotui.start_run(message.plans[0])
            return
        from nanotui.ui.widgets.task_list import ladder_task_ids

        marked = [p.task_ref.id for p in message.plans]
        name = "ladder" if set(marked) == set(ladder_task_ids()) else None
        self.nanotui.start_suite(message.plans, name=name)
