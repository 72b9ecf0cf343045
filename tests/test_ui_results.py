"""The results screen (ranking, judge, advisor, detail, export) and the history screen.

Runs are built by hand with fixed ids, dates and figures, so snapshots hold nothing
time-dependent; the judge is the real Judge against the scripted Anthropic server.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from nanotui.engine.history.store import RunStore
from nanotui.engine.report.data import report_for_run
from nanotui.engine.results import RunResult
from nanotui.engine.usage import Usage
from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.agent_detail import AgentDetailScreen
from nanotui.ui.screens.history import HistoryScreen
from nanotui.ui.screens.results import ExportDialog, ResultsScreen
from nanotui.ui.widgets.results_table import ResultsTable
from tests.servers.script import Call, Fault, Reply
from tests.stored_runs import agent, run_of, store_run, tool

SIZE = (160, 48)
RUN_ID = "20261101-120000-abc123"
DIFF = (
    "--- a/greet.py\n+++ b/greet.py\n@@ -1,2 +1,2 @@\n def greet(name):\n"
    "-    return 'Hello ' + nam\n+    return 'Hello ' + name\n"
)


def three_agents() -> RunResult:
    mini = agent("a1", "openai:gpt-5-mini", display_name="GPT-5 mini", wall_s=12.4, cost_usd=0.0123,
                 checks=(True, True, True), answer="Fixed the typo in greet.py; the tests pass.",
                 usage=Usage(input_tokens=8200, cached_input_tokens=2048, output_tokens=910, reasoning_tokens=512),
                 ttft_s=1.8, turns=4,
                 tool_calls=[tool("read_file", file_path="greet.py"),
                             tool("edit_file", file_path="greet.py", old_str="nam", new_str="name"),
                             tool("read_file", file_path="greet.py")],
                 files_changed=["greet.py"], file_diffs={"greet.py": DIFF})
    haiku = agent("a2", "anthropic:claude-3-haiku-20240307", display_name="Claude 3 Haiku", wall_s=6.1,
                  cost_usd=0.0021, checks=(True, False, True), answer="I changed greet.py.",
                  usage=Usage(input_tokens=6400, output_tokens=320), ttft_s=0.7, turns=3,
                  tool_calls=[tool("read_file", file_path="greet.py"), tool("read_file", False, file_path="tests.py")])
    oss = agent("a3", "ollama:gpt-oss:20b", display_name="gpt-oss 20b (Ollama)", wall_s=0.2, cost_usd=0.0,
                status="error", checks=(False, False, False), answer="",
                error="Ollama not reachable at http://127.0.0.1:11434", usage=Usage(), ttft_s=None)
    run = run_of(mini, haiku, oss, run_id=RUN_ID, task_id="fix-bug")
    run.task.title = "Fix a bug with edit_file so the tests pass"
    run.started_at = "2026-11-01T12:00:00+00:00"
    run.finished_at = "2026-11-01T12:00:13+00:00"
    return run


# The blind order for RUN_ID is a2, a1, a3 (seeded by the run id); the second pass shows
# them in reverse (a3, a1, a2), labelled A, B, C again.
GRADES_REVERSED = Reply(calls=[Call("submit_grades", {"grades": [
    {"candidate": "Candidate A", "grade": "F", "rationale": "Did not run: no answer at all."},
    {"candidate": "Candidate B", "grade": "A", "rationale": "Found and fixed the typo; verified by re-reading."},
    {"candidate": "Candidate C", "grade": "C", "rationale": "Claimed a fix it never made; one check failed."},
]})], input_tokens=3100, output_tokens=140)
GRADES = Reply(calls=[Call("submit_grades", {"grades": [
    {"candidate": "Candidate A", "grade": "C", "rationale": "Claimed a fix it never made; one check failed."},
    {"candidate": "Candidate B", "grade": "A", "rationale": "Found and fixed the typo; verified by re-reading."},
    {"candidate": "Candidate C", "grade": "F", "rationale": "Did not run: no answer at all."},
]})], input_tokens=3100, output_tokens=140)


async def until(pilot, condition, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the UI"
        await pilot.pause(0.05)


def show(run: RunResult, **kwargs):
    """run_before: open the results screen of ``run`` and wait for its workers."""

    async def go(pilot) -> None:
        pilot.app.show_results(run, **kwargs)
        await until(pilot, lambda: isinstance(pilot.app.screen, ResultsScreen))
        screen = pilot.app.screen
        await until(pilot, lambda: screen.is_mounted)
        await pilot.pause()
        await until(pilot, lambda: not screen._judging)
        for worker in [w for w in pilot.app.workers if w.node is screen]:
            await worker.wait()
        await pilot.pause()

    return go


@pytest.fixture(autouse=True)
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:1")


# -- snapshots ------------------------------------------------------------------------------


def test_snapshot_results_checks_only(snap_compare) -> None:
    """No judge key: grades from checks only, sorted by grade, the failed agent last."""
    assert snap_compare(NanotuiApp(), terminal_size=SIZE, run_before=show(three_agents()))


def test_snapshot_results_judged_other_theme(snap_compare, anthropic_server) -> None:
    """The judge runs by itself (key set), fills grades and rationales; ember theme."""
    anthropic_server.script("claude-opus-4-1", GRADES, GRADES_REVERSED)

    async def go(pilot) -> None:
        pilot.app.theme = "nanotui-ember"
        await show(three_agents())(pilot)
        # The cursor stays on its agent when the grades re-rank the table; down moves to
        # the failed agent: its error and the judge's rationale in the panel below.
        await pilot.press("down")

    assert snap_compare(NanotuiApp(), terminal_size=SIZE, run_before=go)


def test_snapshot_results_with_a_jury(snap_compare, openai_server, anthropic_server, ollama_server,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Three jurors of three vendors: none grades its own vendor's candidates; the jurors'
    grades, the marks for a cap and for a grade that changed with the order, the agreement."""
    monkeypatch.setenv("NANOTUI_JUDGE", "openai:gpt-5, anthropic:claude-sonnet-4-6, ollama:gpt-oss:120b")

    def grades(**by_label: str) -> Reply:
        return Reply(calls=[Call("submit_grades", {"grades": [
            {"candidate": f"Candidate {label}", "grade": g, "rationale": f"{g} for {label}."}
            for label, g in by_label.items()]})], input_tokens=2000, output_tokens=100)

    # gpt-5 and gpt-oss (OpenAI's) grade only Claude 3 Haiku; Sonnet grades the two OpenAI models.
    openai_server.script("gpt-5", grades(A="S"), grades(A="S"))
    ollama_server.script("gpt-oss:120b", grades(A="C"), grades(A="C"))
    anthropic_server.script("claude-sonnet-4-6", grades(A="S", B="F"), grades(A="S", B="F"))

    async def go(pilot) -> None:
        await show(three_agents())(pilot)
        await pilot.press("down")

    assert snap_compare(NanotuiApp(), terminal_size=SIZE, run_before=go)


def test_snapshot_agent_detail_diff(snap_compare) -> None:
    async def go(pilot) -> None:
        await show(three_agents())(pilot)
        await pilot.press("enter", "]", "]")  # GPT-5 mini (first), then the "Files changed" tab
        await pilot.pause()

    assert snap_compare(NanotuiApp(), terminal_size=SIZE, run_before=go)


# -- behaviour ------------------------------------------------------------------------------


async def test_ranking_and_keyboard_sorting() -> None:
    app = NanotuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await show(three_agents())(pilot)
        table = app.screen.query_one(ResultsTable)
        ids = lambda: [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]  # noqa: E731
        # Checks only: a1 all pass (A), twice as slow (B) and $0.012 against $0.002 (B with the
        # cent floor) -> A overall; a2 2/3 (B), fast and cheap -> B overall (never above its
        # performance). a3 failed: F.
        assert ids() == ["a1", "a2", "a3"]
        assert {g.basis for g in app.screen.grades} == {"checks"}
        await pilot.press("s")  # performance
        assert table.sort.name == "performance" and ids() == ["a1", "a2", "a3"]
        await pilot.press("s")  # wall time
        assert table.sort.name == "wall time" and ids() == ["a3", "a2", "a1"]
        await pilot.press("S")
        assert ids() == ["a1", "a2", "a3"]
        await pilot.press("s")  # TTFT: unknown last
        assert ids() == ["a2", "a1", "a3"]
        await pilot.press("s")  # cost
        assert ids() == ["a3", "a2", "a1"]


async def test_enter_opens_the_agent_detail_and_escape_returns() -> None:
    app = NanotuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await show(three_agents())(pilot)
        results = app.screen
        await pilot.press("down", "enter")
        detail = app.screen
        assert isinstance(detail, AgentDetailScreen) and detail.agent.agent_id == "a2"  # second in rank
        await pilot.press("]")
        assert detail.query_one("TabbedContent").active == "trace"
        assert detail.query_one("#detail-trace").row_count == 2
        await pilot.press("[", "[")
        assert detail.query_one("TabbedContent").active == "judge"
        await pilot.press("escape")
        assert app.screen is results


async def test_j_without_a_key_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    app = NanotuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await show(three_agents())(pilot)
        await pilot.press("j")
        await pilot.pause()
        assert any("ANTHROPIC_API_KEY is not set" in n.message for n in app._notifications)
        assert app.screen.verdict is None


async def test_judge_failure_keeps_checks_grades(anthropic_server) -> None:
    anthropic_server.script("claude-opus-4-1", Fault(status=401, message="invalid x-api-key"))
    app = NanotuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await show(three_agents())(pilot)
        screen = app.screen
        assert screen.verdict is not None and screen.verdict.status == "error"
        assert {g.basis for g in screen.grades} == {"checks"}
        assert any("Judge failed" in (n.title or "") for n in app._notifications)


async def test_judge_result_is_stored_with_the_run(anthropic_server) -> None:
    anthropic_server.script("claude-opus-4-1", GRADES, GRADES_REVERSED)
    store = RunStore()
    run = store_run(store, three_agents())
    app = NanotuiApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await show(run)(pilot)
        assert app.screen.verdict.status == "ok"
    assert store.latest_verdict(RUN_ID).status == "ok"
    # No model name reached the judge.
    body = str(anthropic_server.requests_for("/v1/messages")[-1].body)
    assert "gpt-5-mini" not in body and "Claude 3 Haiku" not in body


async def test_export_to_a_chosen_path_and_a_bad_one(isolated_cwd: Path) -> None:
    app = NanotuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await show(three_agents())(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, ExportDialog)
        field = app.screen.query_one("Input")
        assert field.value == str(isolated_cwd / f"nanotui-report-{RUN_ID}.md")
        field.value = "out/report.md"  # folder does not exist
        await pilot.press("enter")
        await pilot.pause()
        assert any("does not exist" in n.message for n in app._notifications)
        (isolated_cwd / "out").mkdir()
        await pilot.press("e")
        app.screen.query_one("Input").value = "out/report.md"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any(n.title == "Report written" and n.message.endswith("report.md") for n in app._notifications)
    text = (isolated_cwd / "out" / "report.md").read_text("utf-8")
    for name in ("GPT-5 mini", "Claude 3 Haiku", "gpt-oss 20b (Ollama)"):
        assert name in text


async def test_history_opens_a_stored_run_and_exports_the_same_report(anthropic_server, isolated_cwd: Path) -> None:
    store = RunStore()
    run = store_run(store, three_agents(), rubric="S: fixes the typo and proves it.")
    app = NanotuiApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one("#history-table")
        assert table.row_count == 1
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await app.workers.wait_for_complete()
        results = app.screen
        assert results.run_result.run_id == run.run_id
        assert results.verdict is None  # an old run is judged only on request (j)
        assert not anthropic_server.requests_for("/v1/messages")
        await pilot.press("e", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    written = (isolated_cwd / f"nanotui-report-{RUN_ID}.md").read_text("utf-8")
    assert written == report_for_run(store, RUN_ID, "md")  # the same bytes as `nanotui report`


async def test_an_unusable_history_is_a_notification(tmp_path: Path) -> None:
    from nanotui.engine.paths import data_dir

    data_dir().mkdir(parents=True, exist_ok=True)
    (data_dir() / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    app = NanotuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)
        assert any(n.title == "No run history" and "history.sqlite3" in n.message for n in app._notifications)
        # Results still work without a history: the run is just not kept.
        await show(three_agents())(pilot)
        assert isinstance(app.screen, ResultsScreen) and app.screen.store is None
