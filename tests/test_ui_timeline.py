"""The timeline screen: the chart's layout (pure functions), the screen at two sizes, a run
without event times, and the keys (agent and segment navigation, t from results and History).

Runs are built by hand with fixed ids and segment times (tests/timed_runs.py)."""

from __future__ import annotations

import pytest

from nanotui.engine.history.store import RunStore
from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.history import HistoryScreen
from nanotui.ui.screens.results import ResultsScreen
from nanotui.ui.screens.timeline import NO_TIMING, TimelineScreen, calls_by_segment, shares_text, span_text
from nanotui.ui.widgets.timeline_chart import TimelineChart, axis_lines, cell_owners, span_of, tick_step
from tests.test_ui_results import show, until
from tests.timed_runs import HAIKU_TIMELINE, MINI_TIMELINE, seg, store_timed_run, timed_run


@pytest.fixture(autouse=True)
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:1")


def detail(app) -> str:
    return str(app.screen.query_one("#timeline-detail").render())


async def open_timeline(pilot, run=None) -> None:
    """From the results screen of the timed run, press t."""
    await show(run or timed_run())(pilot)
    await pilot.press("t")
    await until(pilot, lambda: isinstance(pilot.app.screen, TimelineScreen))
    await pilot.pause()


# -- layout -----------------------------------------------------------------------------------


def test_cells_keep_segments_in_place_in_time() -> None:
    segments = [seg("waiting", 0, 5, 1), seg("streaming", 5, 10, 1)]
    assert cell_owners(segments, 10.0, 10) == [0] * 5 + [1] * 5
    # The axis is the longest agent's: a shorter agent's row ends early.
    half = cell_owners(segments, 20.0, 10)
    assert half[5:] == [None] * 5 and half[0] == 0 and half[4] == 1 and half == sorted(half[:5]) + [None] * 5


def test_a_short_tool_run_takes_a_cell_from_its_neighbour() -> None:
    segments = [seg("waiting", 0, 5, 1), seg("tool", 5, 5.01, 1, "read_file"), seg("waiting", 5.01, 10, 2)]
    owners = cell_owners(segments, 10.0, 10)
    assert owners.count(1) == 1 and owners[5] == 1
    assert owners.count(0) + owners.count(2) == 9  # the rest stay with the neighbours
    # A short streaming burst is not worth a cell: it is merged into its neighbours.
    burst = [seg("waiting", 0, 5, 1), seg("streaming", 5, 5.01, 1), seg("waiting", 5.01, 10, 2)]
    assert 1 not in cell_owners(burst, 10.0, 10)


def test_a_tool_gets_no_cell_when_its_neighbours_have_one_each() -> None:
    segments = [seg("waiting", 0, 1, 1), seg("tool", 1, 1.01, 1, "read_file"), seg("waiting", 1.01, 2, 2)]
    owners = cell_owners(segments, 2.0, 2)
    assert owners == [0, 2]  # no room: merged honestly, the detail line still has it


def test_the_axis_labels_fit_the_width() -> None:
    rule, labels = axis_lines(12.4, 60)
    assert len(rule) == len(labels) == 60
    assert rule[0] == "└" and rule.count("┴") >= 3
    assert labels.startswith("0 ") and labels.rstrip().endswith(" s")
    numbers = [float(x) for x in labels.replace(" s", "").split()]
    assert numbers == sorted(numbers) and numbers[-1] <= 12.4
    assert tick_step(12.4, 60) in (1, 2, 2.5)
    assert tick_step(600.0, 40) >= 60  # ten minutes on a narrow chart
    _, narrow = axis_lines(0.4, 10)
    assert narrow.startswith("0")


def test_span_is_the_longest_wall_time() -> None:
    assert span_of(timed_run().agents) == pytest.approx(12.4)
    assert span_of(timed_run(timeline=False).agents) == 0.0


def test_time_shares_and_tool_calls_of_segments() -> None:
    mini, haiku, _ = timed_run().agents
    assert shares_text(mini.timeline) == "waiting 48 % · streaming 38 % · reasoning 10 % · queued 2 % · tools 2 %"
    assert shares_text(haiku.timeline) == "streaming 41 % · retry wait 33 % · waiting 23 % · queued 2 % · tools 1 %"
    calls = calls_by_segment(mini)
    assert [(i, c.name, c.arguments["file_path"]) for i, c in calls.items()] == [
        (4, "read_file", "greet.py"), (7, "edit_file", "greet.py"), (10, "read_file", "greet.py")]
    assert set(calls_by_segment(haiku)) == {3, 7}


def test_short_stretches_are_written_in_milliseconds() -> None:
    assert span_text(12.4, 13.05) == "12.40–13.05 s (0.65 s)"
    assert span_text(1.0201, 1.0232) == "1.020–1.023 s (3 ms)"
    assert span_text(1.0, 1.0002) == "1.000–1.000 s (<1 ms)"


def test_the_fixture_segments_add_up_to_wall_time() -> None:
    for timeline, wall in ((MINI_TIMELINE, 12.4), (HAIKU_TIMELINE, 6.1)):
        assert sum(s.end_s - s.start_s for s in timeline) == pytest.approx(wall)


# -- snapshots --------------------------------------------------------------------------------


def test_snapshot_timeline_wide(snap_compare) -> None:
    async def go(pilot) -> None:
        await open_timeline(pilot)
        await pilot.press("down", "right", "right", "right", "right")  # GPT-5 mini's first tool run

    assert snap_compare(NanotuiApp(), terminal_size=(160, 48), run_before=go)


def test_snapshot_timeline_80x24(snap_compare) -> None:
    async def go(pilot) -> None:
        await open_timeline(pilot)
        await pilot.press("right", "right", "right", "right")  # Claude 3 Haiku's rate-limit wait

    assert snap_compare(NanotuiApp(), terminal_size=(80, 24), run_before=go)


def test_snapshot_timeline_of_a_run_without_event_times(snap_compare) -> None:
    assert snap_compare(NanotuiApp(), terminal_size=(80, 24),
                        run_before=lambda pilot: open_timeline(pilot, timed_run(timeline=False)))


# -- keys -------------------------------------------------------------------------------------


async def test_arrows_move_between_agents_and_segments() -> None:
    app = NanotuiApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_timeline(pilot)
        chart = app.screen.query_one(TimelineChart)
        assert [a.agent_id for a in chart.agents] == ["a2", "a1", "a3"]  # as the results table ranks them (Haiku: faster, cheaper)
        assert chart.has_focus
        assert detail(app).startswith("Claude 3 Haiku · before the start · queued · 0.00–0.10 s (0.10 s)")
        await pilot.press("down")  # GPT-5 mini, at the same place in time
        assert detail(app).startswith("GPT-5 mini · before the start · queued · 0.00–0.30 s (0.30 s)")
        await pilot.press("right", "right", "right", "right")
        assert "turn 1 · tool read_file greet.py ✓ · 3.400–3.450 s (50 ms)" in detail(app)
        await pilot.press("right", "right", "right")
        assert "turn 2 · tool edit_file greet.py ✓ · 5.60–5.70 s (0.10 s)" in detail(app)
        await pilot.press("up")  # Claude 3 Haiku at 5.6 s: the streaming of its last turn
        assert chart.agent == 0
        assert detail(app).startswith("Claude 3 Haiku · turn 3 · streaming · 4.50–6.10 s (1.60 s)")
        await pilot.press("left", "left", "left", "left", "left")
        assert "Claude 3 Haiku · turn 2 · retry · 1.25–3.25 s (2.00 s)" in detail(app)
        await pilot.press("right", "right", "right")
        assert "turn 2 · tool read_file tests.py ✗ · 4.000–4.020 s (20 ms)" in detail(app)
        await pilot.press("end")
        assert "segment 10/10" in detail(app)
        await pilot.press("right")  # past the end: stays
        assert "segment 10/10" in detail(app)
        await pilot.press("home")
        assert "segment 1/10" in detail(app)
        await pilot.press("down", "down", "down")  # the last agent, then stays there
        assert chart.agent == 2 and detail(app).startswith("gpt-oss 20b (Ollama)")
        await pilot.press("escape")
        assert isinstance(app.screen, ResultsScreen)


async def test_hovering_a_stretch_focuses_it() -> None:
    app = NanotuiApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_timeline(pilot)
        chart = app.screen.query_one(TimelineChart)
        mini = chart.agents[1]
        owners = cell_owners(mini.timeline, chart.span, chart.chart_width)
        cell = owners.index(2)  # GPT-5 mini's reasoning
        await pilot.hover(TimelineChart, offset=(chart.name_width + 1 + cell, 1))
        await pilot.pause()
        assert (chart.agent, chart.segment) == (1, 2)
        assert detail(app).startswith("GPT-5 mini · turn 1 · reasoning · 1.80–3.00 s (1.20 s)")


async def test_many_agents_in_a_short_panel_scroll_to_the_focused_one() -> None:
    from tests.stored_runs import agent, run_of

    run = run_of(*(agent(f"a{i:02}", wall_s=5.0 + i, display_name=f"model {i:02}",
                         timeline=[seg("waiting", 0, 2.0 + i, 1), seg("streaming", 2.0 + i, 5.0 + i, 1)])
                   for i in range(16)), run_id="20261101-120000-many00")
    app = NanotuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_timeline(pilot, run)
        box = app.screen.query_one("#timeline-box")
        assert box.max_scroll_y > 0 and box.scroll_y == 0
        for _ in range(15):
            await pilot.press("down")
        await pilot.pause()
        chart = app.screen.query_one(TimelineChart)
        assert chart.agent == 15 and box.scroll_y > 0
        assert box.scroll_y <= 15 < box.scroll_y + box.scrollable_content_region.height


@pytest.mark.parametrize("theme", ["nanotui-dark", "nanotui-light", "textual-light"])
async def test_queued_time_stands_out_from_the_background_in_any_theme(theme: str) -> None:
    app = NanotuiApp()
    async with app.run_test(size=(100, 20)) as pilot:
        app.theme = theme
        await open_timeline(pilot)
        chart = app.screen.query_one(TimelineChart)
        background = app.theme_variables["background"].upper()
        colours = {kind: chart._colour(kind).upper() for kind in ("queued", "waiting", "streaming", "tool")}
        assert background not in colours.values() and "#FFFFFF" not in colours.values()
        assert len(set(colours.values())) == len(colours)


async def test_a_run_without_event_times_says_so() -> None:
    app = NanotuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_timeline(pilot, timed_run(timeline=False))
        assert not app.screen.query(TimelineChart)
        assert NO_TIMING in str(app.screen.query_one("#timeline-empty").render())


async def test_t_on_a_history_row_opens_its_timeline(tmp_path) -> None:
    store = RunStore(tmp_path / "history.db")
    store_timed_run(store)
    app = NanotuiApp(store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.push_screen(HistoryScreen(store))
        await pilot.pause()
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        await pilot.pause()
        assert app.screen.run_result.run_id == "20261101-120000-tl0001"
        assert [a.agent_id for a in app.screen.agents] == ["a2", "a1", "a3"]  # by rank, as in results
        assert app.screen.agents[1].timeline == MINI_TIMELINE  # stored and read back
        assert "Claude 3 Haiku · before the start · queued" in detail(app)
        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)


async def test_a_real_recorded_run_on_the_timeline_and_side_by_side(openai_server, tmp_path, workspace) -> None:
    """The engine's own segments (real SDK against the loopback server, recorded in a real
    store), read back by History: the tool run is found with its argument; side by side gets
    each turn's text from the stored events."""
    from nanotui.engine.agent.loop import AgentTask, Limits
    from nanotui.engine.roster.roster_file import load_roster
    from nanotui.engine.run.orchestrator import Orchestrator
    from nanotui.providers.registry import SdkProviders
    from nanotui.ui.screens.compare import CompareScreen
    from tests.helpers import FAST_RETRY
    from tests.servers.script import Call, Fault, Reply

    openai_server.script(
        "gpt-5-nano",
        Fault(status=429, message="slow down", retry_after=0.2),
        Reply(text="Reading it.", calls=[Call("read_file", {"file_path": "README.md"})], first_byte_delay_s=0.2),
        Reply(text="The secret word is PLUM.", first_byte_delay_s=0.1),
    )
    openai_server.script("gpt-5-mini", Reply(text="PLUM", first_byte_delay_s=0.1))
    store = RunStore(tmp_path / "h.sqlite3")
    roster = load_roster()
    orch = Orchestrator(AgentTask("What is the secret word?", workspace),
                        [roster.resolve("openai:gpt-5-nano"), roster.resolve("openai:gpt-5-mini")],
                        providers=SdkProviders(), retry_policy=FAST_RETRY, limits=Limits(timeout_s=20),
                        sink=store.record)
    store.begin_run(orch.run_id, orch.task_ref, orch.specs, {})
    run = await orch.run()
    store.finish_run(run)

    app = NanotuiApp(store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.push_screen(HistoryScreen(store))
        await pilot.pause()
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        await pilot.pause()
        chart = app.screen.query_one(TimelineChart)
        nano = next(i for i, a in enumerate(chart.agents) if a.model == "openai:gpt-5-nano")
        chart.move_to(nano, 0)
        tool = next(i for i, s in enumerate(chart.agents[nano].timeline) if s.kind == "tool")
        for _ in range(tool):
            await pilot.press("right")
        assert "turn 1 · tool read_file README.md ✓" in detail(app)
        await pilot.press("home")
        assert " · retry · " in detail(app) or " · waiting · " in detail(app)
        await pilot.press("escape", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.pause()
        await pilot.press("space", "down", "space", "c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        c = app.screen.comparison
        traces = {a.model: a for a in c.agents}
        first = traces["openai:gpt-5-nano"].at(1)
        assert [(s.tool, s.argument, s.ok) for s in first.steps] == [("read_file", "README.md", True)]
        assert first.text == "Reading it."
        assert traces["openai:gpt-5-mini"].at(1).text == "PLUM"
        assert c.first_divergence == 1


async def test_t_on_a_suite_row_says_to_open_a_run(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nanotui.ui.screens.history import SUITE_KEY
    from tests.stored_suites import SUITE_ID, store_suite

    store = RunStore(tmp_path / "history.db")
    store_suite(store, monkeypatch)
    app = NanotuiApp(store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.push_screen(HistoryScreen(store))
        await pilot.pause()
        history = app.screen
        table = history.query_one("#history-table")
        table.move_cursor(row=table.get_row_index(SUITE_KEY + SUITE_ID))
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is history
        assert any("t draws one run's timeline" in n.message for n in app._notifications)
