"""Several tasks in the app: space marks tasks, L the whole ladder, the summary shows the
suite's first-turn estimate; enter runs them one after another as a suite (the arena says
which task runs and the queue) and r opens the Leaderboard."""

from __future__ import annotations

from pathlib import Path

from nanotui.engine.history.store import RunStore
from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.arena import ArenaScreen
from nanotui.ui.screens.home import HomeScreen
from nanotui.ui.screens.leaderboard import LeaderboardScreen
from nanotui.ui.widgets.task_list import ladder_task_ids
from tests.servers.script import Call, Reply
from tests.test_ui_flow import wait_for
from tests.test_ui_home import SIZE, all_ready, no_ollama, roster_without_local, settled  # noqa: F401  (fixtures)

READ = Reply(calls=[Call("read_file", {"file_path": "project.txt"})], input_tokens=900, output_tokens=30)
ANSWER = Reply(text="AMBER-FALCON-7", input_tokens=1000, output_tokens=8)


def summary(home: HomeScreen) -> str:
    return str(home.query_one("#selection-summary").render())


async def test_space_marks_tasks_and_L_marks_the_whole_ladder(no_ollama) -> None:  # noqa: F811
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        first = home.picker.highlighted.id
        await pilot.press("space", "down", "space")
        assert len(home.picker.marked_ids) == 2 and first in home.picker.marked_ids
        assert home.picker.table.filter_text == ""  # space marks; it does not type into the filter
        await pilot.press("space")  # again: unmarked
        assert home.picker.marked_ids == [first]
        await pilot.press("L")
        assert set(home.picker.marked_ids) == set(ladder_task_ids()) and len(ladder_task_ids()) == 11
        home.roster.set_selected({"gpt-5-mini", "claude-3-haiku"})
        await wait_for(pilot, lambda: "first turns together" in summary(home))
        assert summary(home).startswith("11 tasks × 2 models = 22 agents · first turns together ≥$")
        await pilot.press("L")  # the whole ladder marked: L clears it
        assert home.picker.marked_ids == []


def test_snapshot_home_several_tasks(snap_compare, all_ready) -> None:  # noqa: F811
    """Three tasks marked and two models picked: the suite's size and first-turn estimate."""

    async def mark(pilot) -> None:
        await settled(pilot)
        await pilot.press("space", "down", "down", "space", "down", "space", "tab", "tab")
        await pilot.press("down", "space", "down", "space")
        await wait_for(pilot, lambda: "first turns together" in summary(pilot.app.screen))
        await pilot.pause()

    assert snap_compare(NanotuiApp(roster=roster_without_local()), terminal_size=SIZE, run_before=mark)


async def test_two_tasks_run_as_a_suite_and_r_opens_the_leaderboard(openai_server, isolated_cwd: Path) -> None:
    # basic-read twice over (read, answer) would need one script per task: both tasks here
    # are answered by the same two steps, in the order the suite runs them.
    openai_server.script("gpt-5-mini", READ, ANSWER, READ, ANSWER)
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        await wait_for(pilot, lambda: home.roster.readiness["gpt-5-mini"].ready is not None)
        home.picker.set_marked({"basic-read", "log-needle"})
        home.roster.set_selected({"gpt-5-mini"})
        await pilot.pause()
        home.action_start()
        await wait_for(pilot, lambda: isinstance(app.screen, ArenaScreen))
        first = app.screen
        assert first.suite is not None and first.plan.task_ref.id == "basic-read"
        await wait_for(pilot, lambda: isinstance(app.screen, ArenaScreen) and app.screen is not first)
        second = app.screen
        assert second.plan.task_ref.id == "log-needle"
        await wait_for(pilot, lambda: second.done and second.suite.over)

        def status() -> str:
            return str(second.query_one("#arena-status").render())

        await wait_for(pilot, lambda: "r: leaderboard" in status())  # the 10 Hz refresh
        assert "task 2/2 · 2 of 2 agents done" in status()
        assert len(app.screen_stack) == 3  # home's stack: the first task's arena gave way to the second
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, LeaderboardScreen))
        board = app.screen
        assert board.board.tasks == ["basic-read", "log-needle"]
        assert [r.model for r in board.board.rows] == ["openai:gpt-5-mini"]
    with RunStore() as store:
        suite = store.load_suite(board.suite_id)
        assert suite.status == "finished" and len(suite.run_ids) == 2
        assert suite.spec["tasks"] == ["basic-read", "log-needle"]


def test_snapshot_home_80x24(snap_compare, no_ollama) -> None:  # noqa: F811
    """80×24 (a fresh macOS Terminal or tmux window): no Spec column, the whole readiness,
    the fix first in the detail line, the summary on screen; two tasks marked."""

    async def mark(pilot) -> None:
        await settled(pilot)
        await pilot.press("space", "down", "space", "tab", "tab", "down", "space")
        await pilot.pause()

    assert snap_compare(NanotuiApp(roster=roster_without_local()), terminal_size=(80, 24), run_before=mark)
