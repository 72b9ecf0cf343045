"""Side by side: marking agents in the results table with space, c to compare them, the
screen's columns aligned by turn (snapshots at two sizes), the notice with fewer than two
marked, escape back; from History too. Runs are built by hand (tests/timed_runs.py)."""

from __future__ import annotations

import pytest

from nanotui.engine.history.store import RunStore
from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.compare import FEWER_MARKED, CompareScreen, CompareView
from nanotui.ui.screens.history import HistoryScreen
from nanotui.ui.screens.results import ResultsScreen
from nanotui.ui.widgets.results_table import MARK, ResultsTable
from tests.test_ui_results import show, until
from tests.timed_runs import RUN_ID, store_timed_run, timed_run


@pytest.fixture(autouse=True)
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:1")


@pytest.fixture
def stored(tmp_path) -> RunStore:
    store = RunStore(tmp_path / "history.db")
    store_timed_run(store)
    return store


def compare_first_two(store: RunStore | None = None):
    """run_before: the results of the timed run (from the history when given), mark the
    first two agents (Claude 3 Haiku, GPT-5 mini), press c."""

    async def go(pilot) -> None:
        run = store.load_run(RUN_ID) if store is not None else timed_run()
        await show(run, stored=store is not None)(pilot)
        await pilot.press("space", "down", "space", "c")
        await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
        await pilot.pause()

    return go


def test_snapshot_compare_wide(snap_compare, stored: RunStore) -> None:
    """Texts per turn from the stored events; the paths part at turn 2."""
    assert snap_compare(NanotuiApp(store=stored), terminal_size=(160, 48), run_before=compare_first_two(stored))


def test_snapshot_compare_80x24(snap_compare) -> None:
    """Not stored: no texts per turn; two columns fit in 80."""
    async def go(pilot) -> None:
        await compare_first_two()(pilot)
        await pilot.press("pagedown")  # to the answers and the diffs

    assert snap_compare(NanotuiApp(), terminal_size=(80, 24), run_before=go)


def test_snapshot_results_with_marks(snap_compare) -> None:
    async def go(pilot) -> None:
        await show(timed_run())(pilot)
        await pilot.press("space", "down", "down", "space")

    assert snap_compare(NanotuiApp(), terminal_size=(160, 48), run_before=go)


async def test_space_marks_and_c_compares_the_marked_agents(stored: RunStore) -> None:
    app = NanotuiApp(store=stored)
    async with app.run_test(size=(160, 48)) as pilot:
        await show(stored.load_run(RUN_ID), stored=True)(pilot)
        results = app.screen
        table = results.query_one(ResultsTable)
        await pilot.press("space")
        assert table.marked == {"a2"}
        assert str(table.get_cell("a2", "model")).startswith(MARK)
        assert results.query_one("#results-box").border_subtitle.endswith("1 marked (c: side by side)")
        await pilot.press("space")  # unmark
        assert table.marked == set() and not str(table.get_cell("a2", "model")).startswith(MARK)
        await pilot.press("space", "down", "down", "space", "c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        c = screen.comparison
        assert [a.agent_id for a in c.agents] == ["a2", "a3"]  # in the table's order
        assert c.first_divergence == 1 and c.rows == 3  # gpt-oss never got past its first request
        assert c.agents[0].at(3).text == "I changed greet.py."  # from the stored events
        assert screen.query_one(CompareView).has_focus
        await pilot.press("escape")
        assert app.screen is results
        assert table.marked == {"a2", "a3"}  # the marks stay for another look


async def test_c_with_fewer_than_two_marked_says_how() -> None:
    app = NanotuiApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await show(timed_run())(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        assert [n.message for n in app._notifications] == [FEWER_MARKED]
        await pilot.press("space", "c")
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        assert "mark two to four agents with space" in FEWER_MARKED.lower()


async def test_at_most_four_marks() -> None:
    from tests.stored_runs import agent, run_of

    run = run_of(*(agent(f"a{i}", wall_s=10.0 + i) for i in range(5)), run_id="20261101-120000-five00")
    app = NanotuiApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await show(run)(pilot)
        table = app.screen.query_one(ResultsTable)
        for _ in range(5):
            await pilot.press("space", "down")
        assert len(table.marked) == 4 and "a4" not in table.marked
        assert any("up to 4 agents" in n.message for n in app._notifications)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        assert len(app.screen.comparison.agents) == 4


async def test_paths_parting_is_marked_and_columns_scroll_sideways() -> None:
    app = NanotuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await compare_first_two()(pilot)
        screen = app.screen
        assert screen.comparison.first_divergence == 2  # both read greet.py; then tests.py vs an edit
        assert "≠ paths part at turn 2" in str(screen.query_one("#compare-head").render())
        assert screen.query_one(CompareView).max_scroll_x == 0  # two columns fit in 80
        await pilot.press("escape", "down", "space", "c")  # and gpt-oss: three do not
        await until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen is not screen)
        await pilot.pause()
        screen = app.screen
        assert len(screen.comparison.agents) == 3
        view = screen.query_one(CompareView)
        assert view.max_scroll_x > 0 and view.scroll_x == 0
        await pilot.press("right")
        await pilot.pause()
        assert view.scroll_x > 0
        await pilot.press("left")
        await pilot.pause()
        assert view.scroll_x == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert view.scroll_y > 0


async def test_history_then_results_then_compare(stored: RunStore) -> None:
    app = NanotuiApp(store=stored)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.push_screen(HistoryScreen(stored))
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause()
        await pilot.press("space", "down", "space", "c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        assert app.screen.comparison.agents[1].at(1).text == "Let me read greet.py first."
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, HistoryScreen)
