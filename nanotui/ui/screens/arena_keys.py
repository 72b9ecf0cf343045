"""The arena's keys: which ones act now, the key line that shows them, and what they do
(move focus between panes, zoom, scroll, cancel, show the results)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.markup import escape

from nanotui.engine.live import LiveBoard
from nanotui.engine.orchestrator import Orchestrator
from nanotui.engine.results import RunResult
from nanotui.ui.screens.confirm import ConfirmScreen
from nanotui.ui.widgets.agent_pane import AgentPane
from nanotui.ui.widgets.arena_lines import KeyHints

if TYPE_CHECKING:
    from textual.screen import Screen

    _ScreenBase = Screen[None]
else:
    _ScreenBase = object


class ArenaKeys(_ScreenBase):
    """The keys half of :class:`~nanotui.ui.screens.arena.ArenaScreen`, mixed into it. The
    bindings stay on the screen: Textual only collects them from widget classes."""

    board: LiveBoard
    result: RunResult | None
    orchestrator: Orchestrator | None
    _cancel_requested: bool
    _columns: int

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "results":
            return self.done
        if action == "cancel_agent":
            return not self.done
        if action == "unzoom":
            return self.maximized is not None
        if action == "cancel_run":
            return not self.done and self.maximized is None
        if action == "interrupt":
            return not self.done
        if action == "leave":
            return self.done and self.maximized is None
        return True

    def watch_maximized(self) -> None:
        self._refresh_keys()  # escape un-zooms while zoomed

    def _refresh_keys(self) -> None:
        """Show the keys that do something now, as the footer would."""
        shown: list[str] = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if not binding.show or self.check_action(binding.action.split("(")[0], ()) is not True:
                continue
            key = {"enter": "⏎", "escape": "esc"}.get(binding.key, binding.key)
            label = "Unzoom" if binding.action == "zoom" and self.maximized is not None else binding.description
            shown.append(f"[b $footer-key-foreground]{escape(key)}[/] {escape(label)}")
        shown.append("[b $footer-key-foreground]^p[/] palette")
        self.query_one("#arena-keys", KeyHints).show("  ".join(shown))

    def _focused_pane(self) -> AgentPane | None:
        node = self.focused
        while node is not None:
            if isinstance(node, AgentPane):
                return node
            node = node.parent  # type: ignore[assignment]
        return None

    def action_move_focus(self, direction: str) -> None:
        panes = self.panes
        if not panes:
            return
        current = self._focused_pane()
        if self.maximized is not None and current is not None:
            # Zoomed in: the arrows scroll the pane instead.
            if direction in ("up", "down"):
                current.scroll(direction)
                return
        index = panes.index(current) if current in panes else 0
        cols = self._columns
        step = {"left": -1, "right": 1, "up": -cols, "down": cols}
        if direction == "next":
            target = (index + 1) % len(panes)
        elif direction == "previous":
            target = (index - 1) % len(panes)
        else:
            target = index + step[direction]
            if direction in ("left", "right") and target // cols != index // cols:
                return  # stay on the row
            if not 0 <= target < len(panes):
                return
        if self.maximized is not None:
            self.maximize(panes[target], container=False)
        panes[target].focus()

    def action_zoom(self) -> None:
        pane = self._focused_pane()
        if pane is None:
            return
        if self.maximized is pane:
            self.minimize()
        else:
            self.maximize(pane, container=False)

    def action_toggle_reasoning(self) -> None:
        pane = self._focused_pane()
        if pane is not None:
            pane.toggle_reasoning()

    def action_scroll_pane(self, where: str) -> None:
        pane = self._focused_pane()
        if pane is None:
            return
        pane.scroll(where)

    def action_cancel_agent(self) -> None:
        pane = self._focused_pane()
        if pane is None or self.orchestrator is None:
            return
        if self.orchestrator.cancel(pane.agent_id):
            self.notify(f"Cancelling {pane.live.display_name}…", timeout=3)
        else:
            self.notify(f"{pane.live.display_name} is not running.", severity="warning", timeout=3)

    def action_unzoom(self) -> None:
        self.minimize()

    def action_interrupt(self) -> None:
        self.action_cancel_run()

    def action_cancel_run(self) -> None:
        if self.done or isinstance(self.app.screen, ConfirmScreen):
            return
        working = sum(1 for a in self.board.agents.values() if not a.done)
        question = (
            f"Cancel the run? {working} agent(s) are still working. "
            "What finished so far is kept and shown in the results."
        )

        def answered(yes: bool | None) -> None:
            if yes and not self.done:
                self._cancel_requested = True
                if self.orchestrator is not None:
                    self.orchestrator.cancel_all()

        self.app.push_screen(ConfirmScreen(question, yes="Cancel run", no="Keep running"), answered)

    def action_results(self) -> None:
        if self.result is not None:
            self.post_message(self.ShowResults(self.result))

    def action_leave(self) -> None:
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
