"""nanotui's entries in the command palette (ctrl+p): new run, history, export, and one
entry per installed theme."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class NanotuiCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], Any], bool]]:
        """(title, help, callback, shown before typing)"""
        app: Any = self.app
        commands: list[tuple[str, str, Callable[[], Any], bool]] = [
            ("New run", "Back to the task and model picker", app.action_new_run, True),
            ("History", "Browse stored runs and open their results", app.action_history, True),
            ("Export report", "Write the markdown report of the run on screen (or the last run)",
             app.action_export_report, True),
        ]
        for name in sorted(app.available_themes):
            if name == "textual-ansi":
                continue
            current = " (current)" if name == app.theme else ""
            commands.append((f"Theme: {name}", f"Switch to the {name} theme{current}",
                             partial(setattr, app, "theme", name), False))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback, shown in self._commands():
            if shown:
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, _ in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
