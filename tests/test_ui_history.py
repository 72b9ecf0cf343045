"""The History screen: suites beside plain runs, trials written once with their count, enter
opens a suite's Leaderboard, d deletes for good after a confirmation; usable at 80×24."""

from __future__ import annotations

import pytest

from nanotui.engine.errors import NanotuiError
from nanotui.engine.history.store import RunStore
from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.confirm import ConfirmScreen
from nanotui.ui.screens.history import HistoryScreen, HistoryTable, model_counts, models_cell
from nanotui.ui.screens.leaderboard import LeaderboardScreen
from nanotui.ui.screens.results import ResultsScreen
from tests.stored_runs import agent, run_of, store_run
from tests.stored_suites import SUITE_ID, store_suite
from tests.test_ui_results import until

WIDE = (160, 48)
NARROW = (80, 24)
TRIALS_RUN = "20261102-090000-77aa01"
PLAIN_RUN = "20261031-080000-77aa02"


@pytest.fixture(autouse=True)
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:1")


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> RunStore:
    """A suite of five tasks, a run with three trials of one model (newer) and a plain run (older)."""
    store = RunStore()
    store_suite(store, monkeypatch)
    trials = run_of(*(agent(f"a{i}", "openai:gpt-5-nano", display_name="GPT-5 nano", checks=(i != 2,),
                          wall_s=4.0 * i) for i in (1, 2, 3)),
                    agent("a4", "anthropic:claude-3-haiku-20240307", display_name="Claude 3 Haiku"),
                    run_id=TRIALS_RUN, task_id="basic-read")
    trials.started_at = "2026-11-02T09:00:00+00:00"
    store_run(store, trials, trials=3)
    plain = run_of(agent("a1"), run_id=PLAIN_RUN, task_id="json-answer")
    plain.started_at = "2026-10-31T08:00:00+00:00"
    store_run(store, plain)
    return store


def open_history(*keys: str):
    async def go(pilot) -> None:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen))
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()

    return go


def test_model_counts_write_trials_once() -> None:
    models = ["openai:gpt-5-nano"] * 3 + ["anthropic:claude-3-haiku", "openai:gpt-5-nano"]
    assert model_counts(models) == ["gpt-5-nano ×4", "claude-3-haiku"]
    assert str(models_cell(["openai:a" * 1, "openai:bbbbbbbbbbbbbbbbbbbb", "openai:cccccccccccccccccccc"], 26)) \
        == "a, bbbbbbbbbbbbbbbbbbbb +1"


def test_snapshot_history_wide(snap_compare, history: RunStore) -> None:
    assert snap_compare(NanotuiApp(store=history), terminal_size=WIDE, run_before=open_history("down"))


def test_snapshot_history_80x24(snap_compare, history: RunStore) -> None:
    """The run id and judge leave the table for the detail line; the status stays."""
    assert snap_compare(NanotuiApp(store=history), terminal_size=NARROW, run_before=open_history("down"))


async def test_suites_are_one_row_and_open_their_leaderboard(history: RunStore) -> None:
    app = NanotuiApp(store=history)
    async with app.run_test(size=NARROW) as pilot:
        await open_history()(pilot)
        table = app.screen.query_one(HistoryTable)
        assert table.row_count == 3  # the suite's five task runs are not listed again
        keys = [row.key.value for row in table.ordered_rows]
        assert keys == [TRIALS_RUN, "suite:" + SUITE_ID, PLAIN_RUN]
        assert str(table.get_row_at(0)[2]) == "gpt-5-nano ×3 +1"  # the model once, not three times
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, LeaderboardScreen))
        assert app.screen.suite_id == SUITE_ID
        await pilot.press("escape", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.screen.run_id == PLAIN_RUN


async def test_d_deletes_a_suite_for_good_after_yes(history: RunStore) -> None:
    suite_runs = history.load_suite(SUITE_ID).run_ids
    app = NanotuiApp(store=history)
    async with app.run_test(size=WIDE) as pilot:
        await open_history("down", "d")(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "suite " + SUITE_ID in app.screen.question and "5 task runs" in app.screen.question
        await pilot.press("n")  # keep: nothing removed
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert history.load_suite(SUITE_ID).run_ids == suite_runs
        await pilot.press("d", "y")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        assert [row.key.value for row in table.ordered_rows] == [TRIALS_RUN, PLAIN_RUN]
    assert history.resolve_suite_id(SUITE_ID) is None
    assert {r.run_id for r in history.list_runs()} == {TRIALS_RUN, PLAIN_RUN}
    with pytest.raises(NanotuiError):
        history.load_run(suite_runs[0])


async def test_d_deletes_a_plain_run_and_escape_keeps_it(history: RunStore) -> None:
    app = NanotuiApp(store=history)
    async with app.run_test(size=NARROW) as pilot:
        await open_history("d", "escape")(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert any(r.run_id == TRIALS_RUN for r in history.list_runs())
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    assert not any(r.run_id == TRIALS_RUN for r in history.list_runs())
    assert any(r.run_id == PLAIN_RUN for r in history.list_runs())


def test_snapshot_results_with_trials(snap_compare, history: RunStore) -> None:
    """Trial numbers on the rows (#1..#3) and the trials line: pass^k and min/mean/max."""

    async def go(pilot) -> None:
        await open_history("enter")(pilot)
        await until(pilot, lambda: isinstance(pilot.app.screen, ResultsScreen))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(NanotuiApp(store=history), terminal_size=WIDE, run_before=go)


async def test_results_number_trials_and_sum_them_up(history: RunStore) -> None:
    app = NanotuiApp(store=history)
    async with app.run_test(size=WIDE) as pilot:
        await open_history("enter")(pilot)
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        table = app.screen.table
        names = sorted(str(table.get_row(a)[1]) for a in ("a1", "a2", "a3", "a4"))
        assert names == ["Claude 3 Haiku", "GPT-5 nano #1", "GPT-5 nano #2", "GPT-5 nano #3"]
        line = str(app.screen.query_one("#results-trials").render())
        assert "GPT-5 nano ×3: passed 2/3 · pass^1 0.67 · pass^3 0.00" in line
        assert "wall 4.00/8.00/12.00 s" in line and "Claude 3 Haiku" not in line
