"""The Leaderboard screen: the models × tasks matrix (cursor, enter opens a task's results),
the ranking with intervals and the winner note; reached from History. Suites are built by
hand (tests/stored_suites.py) with fixed ids and dates."""

from __future__ import annotations

import pytest

from nanotui.engine.history.store import RunStore
from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.leaderboard import LeaderboardScreen
from nanotui.ui.screens.results import ResultsScreen
from nanotui.ui.widgets.grade_matrix import GradeMatrix
from nanotui.ui.widgets.leaderboard_table import LeaderboardTable
from tests.stored_suites import SUITE_ID, store_suite
from tests.test_ui_results import until

WIDE = (160, 48)
NARROW = (80, 24)


@pytest.fixture(autouse=True)
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:1")


@pytest.fixture
def suite_store(monkeypatch: pytest.MonkeyPatch) -> RunStore:
    store = RunStore()
    store_suite(store, monkeypatch)
    return store


def open_suite(*keys: str):
    async def go(pilot) -> None:
        pilot.app.show_suite(SUITE_ID)
        await until(pilot, lambda: isinstance(pilot.app.screen, LeaderboardScreen))
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()

    return go


def test_snapshot_leaderboard_wide(snap_compare, suite_store: RunStore) -> None:
    """Task ids as column labels; the cursor moved to Claude's mini-project grade."""
    assert snap_compare(NanotuiApp(store=suite_store), terminal_size=WIDE,
                        run_before=open_suite("down", "right", "right", "right", "right"))


def test_snapshot_leaderboard_80x24(snap_compare, suite_store: RunStore) -> None:
    """At 80×24 the columns are numbered and the detail line names the task under the cursor."""
    assert snap_compare(NanotuiApp(store=suite_store), terminal_size=NARROW, run_before=open_suite("right"))


async def test_ranking_note_and_matrix(suite_store: RunStore) -> None:
    app = NanotuiApp(store=suite_store)
    async with app.run_test(size=WIDE) as pilot:
        await open_suite()(pilot)
        screen = app.screen
        assert isinstance(screen, LeaderboardScreen)
        board = screen.board
        assert [r.display_name for r in board.rows][-1] == "gpt-oss 20b (Ollama)"  # fails everything: last
        assert board.rows[0].display_name == "GPT-5 mini"
        assert not board.clear_winner and "no clear winner between GPT-5 mini and Claude Sonnet 4.5" in board.note
        matrix = screen.query_one(GradeMatrix)
        assert matrix.row_count == 3 and len(matrix.columns) == 5
        assert str(matrix.get_cell_at((0, 0))) == "S"
        table = screen.query_one(LeaderboardTable)
        first = [str(c) for c in table.get_row_at(0)]
        assert first[:2] == ["1", "GPT-5 mini"] and first[2].startswith("4.00 [") and first[3] == "4/5"
        note = str(screen.query_one("#leaderboard-note").render())
        assert note.startswith("No clear winner between GPT-5 mini")


async def test_arrows_move_between_cells_and_enter_opens_that_tasks_results(suite_store: RunStore) -> None:
    app = NanotuiApp(store=suite_store)
    async with app.run_test(size=NARROW) as pilot:
        await open_suite("down", "right", "right")(pilot)
        detail = str(app.screen.query_one("#leaderboard-detail").render())
        assert "task 3/5" in detail and "file-ops" in detail and "Claude Sonnet 4.5: B" in detail
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.screen.run_result.task.id == "file-ops"
        assert app.screen.run_id == "20261101-120200-5b1e02"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LeaderboardScreen))


async def test_an_unknown_suite_is_a_notification(suite_store: RunStore) -> None:
    app = NanotuiApp(store=suite_store)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        app.show_suite("s-nope")
        await pilot.pause()
        assert not isinstance(app.screen, LeaderboardScreen)
        assert any("s-nope" in str(n.message) for n in app._notifications)


async def test_a_finished_judge_ranks_the_suite_again(suite_store: RunStore) -> None:
    """Opened while a task's judge is at work, the Leaderboard takes its grades when it is done."""
    from nanotui.ui.judging import JudgeJob, JudgeUpdated
    from tests.stored_runs import verdict_for

    app = NanotuiApp(store=suite_store)
    async with app.run_test(size=WIDE) as pilot:
        await open_suite()(pilot)
        screen = app.screen
        assert str(screen.query_one(GradeMatrix).get_cell_at((2, 0))) == "F"  # gpt-oss on json-answer
        run = suite_store.load_run("20261101-120000-5b1e00")
        suite_store.add_verdict(run.run_id, verdict_for(run, {"a1": "S", "a2": "A", "a3": "S"}))
        app.post_message(JudgeUpdated(JudgeJob(run.run_id, app.judging.choice(), done=True)))
        await until(pilot, lambda: str(screen.query_one(GradeMatrix).get_cell_at((2, 0))) == "S")
        assert screen.board.rows[-1].mean_points == 1.2  # gpt-oss: S + D + F + F + F = 6 / 5
