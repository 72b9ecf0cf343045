"""The whole keyboard flow of the TUI, against the loopback servers of all three protocols:
pick a task → pick 3 models → run → results (judged) → export the report."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.arena import ArenaScreen
from nanotui.ui.screens.home import HomeScreen
from nanotui.ui.screens.results import ResultsScreen
from nanotui.ui.widgets.roster_list import RosterTable
from nanotui.ui.widgets.task_list import TaskTable
from tests.servers.script import Call, Reply

READ = Reply(calls=[Call("read_file", {"file_path": "project.txt"})], input_tokens=900, output_tokens=30)
ANSWER = Reply(text="AMBER-FALCON-7", input_tokens=1000, output_tokens=8)
SLOW_ANSWER = Reply(text="AMBER-FALCON-7", input_tokens=1000, output_tokens=8, first_byte_delay_s=0.5)
MODELS = {  # roster name -> the model name its server sees
    "gpt-5-mini": "gpt-5-mini",
    "claude-3-haiku": "claude-3-haiku-20240307",
    "gpt-oss-20b": "gpt-oss:20b",
}
GRADES = Reply(calls=[Call("submit_grades", {"grades": [
    {"candidate": "Candidate A", "grade": "S", "rationale": "Read the file and gave the codename alone."},
    {"candidate": "Candidate B", "grade": "S", "rationale": "Exactly the codename, after reading the file."},
    {"candidate": "Candidate C", "grade": "A", "rationale": "Correct codename read from the file."},
]})], input_tokens=2500, output_tokens=120)


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the UI"
        await pilot.pause(0.05)


async def test_pick_task_three_models_run_results_export(openai_server, anthropic_server, ollama_server,
                                                         isolated_cwd: Path) -> None:
    openai_server.script("gpt-5-mini", READ, ANSWER)
    anthropic_server.script("claude-3-haiku-20240307", READ, ANSWER)
    ollama_server.script("gpt-oss:20b", READ, SLOW_ANSWER)
    anthropic_server.script("claude-opus-4-1", GRADES, GRADES)  # the default judge, in both orders

    app = NanotuiApp()
    async with app.run_test(size=(160, 48)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        roster = home.query_one(RosterTable)
        await wait_for(pilot, lambda: all(r.ready is not None for r in roster.readiness.values()))
        for name in MODELS:
            assert roster.readiness[name].ready, roster.readiness[name]

        # Pick the task: type to filter, enter chooses it and moves to the models.
        assert isinstance(app.focused, TaskTable)
        await pilot.press(*"basic-read", "enter")
        assert home.picker.highlighted.id == "basic-read"
        assert app.focused is roster

        # Pick three models with the keyboard (roster order: gpt-5, gpt-5-mini, ...).
        for name in MODELS:
            while roster.highlighted_name != name:
                await pilot.press("down")
            await pilot.press("space")
        assert roster.selected_names == list(MODELS)

        # Run.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArenaScreen))
        arena = app.screen
        await pilot.press("ctrl+n")  # a new run while this one goes on: refused
        assert app.screen is arena and not arena.done
        assert any("A run is in progress" in n.message for n in app._notifications)
        await wait_for(pilot, lambda: arena.done)
        assert [a.status for a in arena.result.agents] == ["ok", "ok", "ok"]
        # The task's checks ran on every agent (read with read_file, codename, exact reply).
        assert [[c.passed for c in a.checks] for a in arena.result.agents] == [[True] * 3] * 3

        # The judge starts as soon as the run finishes (ANTHROPIC_API_KEY is set), before the
        # results are opened; leaving the arena would not stop it.
        await wait_for(pilot, lambda: app.judging.job(arena.run_id) is not None)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        results = app.screen
        await wait_for(pilot, lambda: results.verdict is not None)
        assert results.verdict.status == "ok"
        assert {g.basis for g in results.grades} == {"judge"}
        assert all(g.performance in ("S", "A") for g in results.grades)

        # Export: e opens the path dialog with a file in the working directory; enter writes.
        await pilot.press("e")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        reports = list(isolated_cwd.glob("nanotui-report-*.md"))
        assert len(reports) == 1
        text = reports[0].read_text("utf-8")
        for display_name in ("GPT-5 mini", "Claude 3 Haiku", "gpt-oss 20b (Ollama)"):
            assert display_name in text
        assert "AMBER-FALCON-7" in text

        # ctrl+n: back to the task picker for the next run.
        await pilot.press("ctrl+n")
        assert app.screen is home

    # The selection is remembered for next time.
    again = NanotuiApp()
    async with again.run_test(size=(160, 48)) as pilot:
        home = again.screen
        assert home.picker.highlighted.id == "basic-read"
        assert home.roster.selected_names == list(MODELS)
