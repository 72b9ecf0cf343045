"""The results screen at 80×24: the columns that matter first, the rest in the highlighted
agent's note, w for every column."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from nanotui.ui.app import NanotuiApp
from nanotui.ui.widgets.results_table import COLUMNS, COMPACT_COLUMNS, ResultsTable
from tests.test_ui_results import show, three_agents

NARROW = (80, 24)


def note_text(app) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.screen.query_one("#agent-note").content)
    return console.export_text()


@pytest.fixture(autouse=True)
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:1")


def test_snapshot_results_80x24(snap_compare) -> None:
    assert snap_compare(NanotuiApp(), terminal_size=NARROW, run_before=show(three_agents()))


async def test_w_shows_every_column_and_back() -> None:
    app = NanotuiApp()
    async with app.run_test(size=NARROW) as pilot:
        await show(three_agents())(pilot)
        table = app.screen.query_one(ResultsTable)
        assert [str(c.key.value) for c in table.columns.values()] == list(COMPACT_COLUMNS)
        note = note_text(app)
        assert "checks 3/3 · speed B · TTFT 1.80 s · tokens 8,200 in / 910 out" in note
        await pilot.press("w")
        assert [str(c.key.value) for c in table.columns.values()] == [k for k, _ in COLUMNS]
        assert "TTFT 1.80 s" not in note_text(app)
        await pilot.press("w")
        assert len(table.columns) == len(COMPACT_COLUMNS)


async def test_wide_terminals_keep_every_column() -> None:
    app = NanotuiApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await show(three_agents())(pilot)
        assert len(app.screen.query_one(ResultsTable).columns) == len(COLUMNS)
