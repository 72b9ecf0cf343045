"""`nanotui replay` and the replaying arena: a run recorded for real (loopback server,
`nanotui run`), then played back in the app; the player's pace with a fake clock; the CLI's
one-line errors; runs recorded without event times, and interrupted runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.events import AgentFinished, AgentStarted, Event, TextDelta, ToolCallFinished, ToolCallStarted, TurnFinished
from nanotui.engine.history.store import RunStore
from nanotui.engine.results import RunResult
from nanotui.engine.usage import Usage
from nanotui.ui.app import NanotuiApp, Replay
from nanotui.ui.replay_player import TURN_PACE_S, ReplayPlayer, cue_sheet
from nanotui.ui.screens.history import HistoryScreen
from nanotui.ui.screens.replay import UNTIMED_NOTE, ReplayScreen
from nanotui.ui.screens.results import ResultsScreen
from nanotui.ui.widgets.agent_pane import AgentPane
from tests.servers.script import Call, Reply
from tests.stored_runs import agent, run_of, spec_of, store_run, verdict_for
from tests.stored_suites import store_suite
from tests.test_ui_arena import ArenaHost

SIZE = (160, 48)


# -- recorded runs ----------------------------------------------------------------------------


def record(openai_server, workspace: Path, *models: str) -> tuple[RunResult, list[Event]]:
    """A real run through the CLI (judging off); what the history kept of it."""
    args = ["run", "--prompt", "What is the secret word?", "--workspace", str(workspace), "--no-judge"]
    for m in models:
        args += ["-m", m]
    assert main(args) == 0
    with RunStore() as store:
        run_id = store.resolve_run_id("latest")
        return store.load_run(run_id), store.events(run_id)


def script_two_turns(openai_server) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(text="Turn one ALPHA: reading.", calls=[Call("read_file", {"file_path": "README.md"})]),
        Reply(text="Turn two OMEGA: the word is PLUM."),
    )


@pytest.fixture
def recorded(openai_server, workspace: Path) -> tuple[RunResult, list[Event]]:
    script_two_turns(openai_server)
    openai_server.script("gpt-5-nano", Reply(text="NANO says PLUM."))
    return record(openai_server, workspace, "openai:gpt-5-mini", "openai:gpt-5-nano")


def app_for(run: RunResult, events: list[Event], speed: float | None = None) -> NanotuiApp:
    return NanotuiApp(replay=Replay(run, events, speed))


async def until(pilot, condition, tries: int = 400) -> None:
    """Let the app work until ``condition()`` holds (no wall-clock assertion: a bound on tries)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("the condition never held")


def history_counts() -> tuple[int, int]:
    with RunStore() as store:
        runs = store.list_runs()
        return len(runs), sum(len(store.verdicts(r.run_id)) for r in runs)


def panes(screen: ReplayScreen) -> dict[str, AgentPane]:
    return {p.agent_id: p for p in screen.panes}


# -- the app replaying a recorded run -----------------------------------------------------------


async def test_replay_at_max_shows_the_run_as_it_was(recorded, openai_server) -> None:
    run, events = recorded
    requests = len(openai_server.requests)
    before = history_counts()
    app = app_for(run, events, speed=None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.done)
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.run_id == run.run_id
        shown = panes(screen)
        assert list(shown) == [a.agent_id for a in run.agents]
        for a in run.agents:
            pane = shown[a.agent_id]
            assert pane.border_title == a.display_name
            assert pane.live.status == a.status == "ok"
            assert a.final_answer and a.final_answer in pane.text
            assert pane.live.turns == a.turns and pane.live.usage == a.usage
            assert pane.live.tool_calls == len(a.tool_calls) and pane.live.cost_usd == a.cost_usd
        assert screen.player.timed  # a run recorded with event times plays on them
        mini = shown[run.agents[0].agent_id]
        assert "ALPHA" in mini.text and "OMEGA" in mini.text and mini.live.tool_calls == 1
        status = screen.query_one("#arena-status").markup
        assert "replay · max · over" in status and "finished" in status
        keys = screen.query_one("#arena-keys").markup
        assert "Cancel" not in keys and "Results" in keys and "Zoom" in keys
        await pilot.press("c")  # no cancelling in a replay: the key does nothing
        await pilot.press("enter")  # zoom still works
        assert screen.zoomed is mini
        await pilot.press("escape")
        assert screen.zoomed is None
        await pilot.press("escape")  # leaves the replay
        assert not isinstance(app.screen, ReplayScreen)
    assert len(openai_server.requests) == requests  # nothing was sent
    assert history_counts() == before  # nothing recorded, nothing judged


@pytest.fixture
def one_model(openai_server, workspace: Path) -> tuple[RunResult, list[Event]]:
    script_two_turns(openai_server)
    return record(openai_server, workspace, "openai:gpt-5-mini")


async def test_pause_step_by_turn_and_speed_keys(one_model) -> None:
    run, events = one_model
    screen = ReplayScreen(run, events, speed=50, clock=lambda: 0.0, sleep=frozen_sleep)
    app = ArenaHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("space")
        assert screen.player.paused
        assert "replay · 50× · paused" in screen.query_one("#arena-status").markup
        await pilot.press("n")
        await until(pilot, lambda: screen.player.paused and screen.panes[0].live.turns == 1)
        keys = screen.query_one("#arena-keys").markup
        assert "Play" in keys and "Pause" not in keys  # the step ended paused: space plays
        screen.flush_all()
        pane = screen.panes[0]
        assert "ALPHA" in pane.text and "OMEGA" not in pane.text
        assert pane.live.tool_calls == 0  # the turn's tool runs after the turn's end
        await pilot.press("space")  # play: the frozen clock keeps the next event waiting
        assert not screen.player.paused and "Pause" in screen.query_one("#arena-keys").markup
        await pilot.press("n")  # a step from playing: to the next turn end, then paused
        await until(pilot, lambda: screen.player.paused and pane.live.turns == 2)
        screen.flush_all()
        assert "OMEGA" in pane.text and not pane.live.done and pane.live.tool_calls == 1
        await pilot.press("plus")
        assert "100×" in screen.query_one("#arena-status").markup
        await pilot.press("minus", "minus")
        assert "25×" in screen.query_one("#arena-status").markup
        await pilot.press("space")  # play on, and to max: the frozen clock would never get there
        assert not screen.player.paused
        for _ in range(7):
            await pilot.press("plus")
        assert screen.player.speed is None
        await until(pilot, lambda: screen.done)
        assert pane.live.status == "ok"


async def test_r_opens_the_stored_results_without_judging(recorded) -> None:
    run, events = recorded
    with RunStore() as store:
        store.add_verdict(run.run_id, verdict_for(run, {a.agent_id: "A" for a in run.agents}))
    app = app_for(run, events, speed=None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await pilot.press("r")  # at any point of the replay: the results are stored
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        results = app.screen
        assert isinstance(results, ResultsScreen)
        assert results.run_result.run_id == run.run_id and not results.auto_judge
        await until(pilot, lambda: results.verdict is not None)
        assert {c.grade for c in results.verdict.candidates.values()} == {"A"}
    assert history_counts() == (1, 1)


async def test_history_p_replays_the_highlighted_run(recorded) -> None:
    run, _ = recorded
    app = NanotuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        assert app.screen.run_id == run.run_id
        assert app.running_arena() is None  # a replay does not block a new run


async def frozen_sleep(seconds: float) -> None:
    """The player's sleep in tests whose run time only the keys move (its clock stands at 0)."""
    await asyncio.sleep(0.005)


def test_snapshot_paused_after_one_step(snap_compare) -> None:
    """Two agents, hand-recorded times: one step in, GPT-5 mini's first turn is over (its tool
    call is next), Haiku is still streaming; the status line says paused."""
    usage = Usage(input_tokens=1200, output_tokens=80)
    events: list[Event] = [
        AgentStarted("a1", "openai:gpt-5-mini", "GPT-5 mini", at=0.05),
        AgentStarted("a2", "anthropic:claude-haiku-4-5", "Claude Haiku 4.5", at=0.06),
        TextDelta("a1", "I will read **README.md** first.", at=1.2),
        TextDelta("a2", "Let me look at the workspace.", at=1.9),
        TurnFinished("a1", 1, usage=usage, total_usage=usage, cost_usd=0.00046, at=2.4),
        ToolCallStarted("a1", "c1", "read_file", {"file_path": "README.md"}, at=2.41),
        ToolCallFinished("a1", "c1", "read_file", True, "# Demo", 32, at=2.43),
        TextDelta("a2", "never shown", at=3.0),
    ]
    run = run_of(agent("a1", display_name="GPT-5 mini"),
                 agent("a2", "anthropic:claude-haiku-4-5", display_name="Claude Haiku 4.5"))
    screen = ReplayScreen(run, events, speed=50, clock=lambda: 0.0, sleep=frozen_sleep)

    async def step_once(pilot) -> None:
        await until(pilot, lambda: all(p._estimates is not None for p in screen.panes))  # the "~" figures
        await pilot.press("space", "n")
        await until(pilot, lambda: screen.player.paused and screen.panes[0].live.turns == 1)
        screen.tick()
        await pilot.pause()

    assert snap_compare(ArenaHost(screen), terminal_size=(120, 30), run_before=step_once)


# -- runs without times, interrupted runs -------------------------------------------------------


def hand_recorded(*, interrupted: bool) -> tuple[RunResult, list[Event]]:
    """Two agents, events stored with no times (as before times were kept); interrupted: the
    second never finishes."""
    run = run_of(agent("a1", answer="first done", turns=2), agent("a2", "openai:gpt-5-nano", answer="second"),
                 run_id="20260105-100000-abcdef")
    with RunStore() as store:
        store.begin_run(run.run_id, run.task, [spec_of(a.model, a.display_name) for a in run.agents], {},
                        started_at=run.started_at, agent_ids=[a.agent_id for a in run.agents])
        for e in [AgentStarted("a1", "openai:gpt-5-mini", "gpt-5-mini"),
                  AgentStarted("a2", "openai:gpt-5-nano", "gpt-5-nano"),
                  TextDelta("a1", "turn one"), TurnFinished("a1", 1), TextDelta("a2", "half an answer"),
                  TextDelta("a1", "first done"), TurnFinished("a1", 2)]:
            store.record(e, run.run_id)
        for a in run.agents[:1] if interrupted else run.agents:
            store.record(AgentFinished(a.agent_id, a), run.run_id)
            store.finish_agent(a, run.run_id)
        if interrupted:
            store.mark_interrupted(run.run_id)
        else:
            store.finish_run(run)
        return store.load_run(run.run_id), store.events(run.run_id)


def test_untimed_events_get_a_steady_pace_by_turn() -> None:
    _, events = hand_recorded(interrupted=False)
    cues, timed = cue_sheet(events)
    assert not timed
    times = {(c.event.agent_id, type(c.event).__name__, getattr(c.event, "text", "")): c.at for c in cues}
    assert times[("a1", "AgentStarted", "")] == 0.0
    assert 0 < times[("a1", "TextDelta", "turn one")] < TURN_PACE_S
    assert TURN_PACE_S <= times[("a1", "TextDelta", "first done")] < 2 * TURN_PACE_S
    assert [c.at for c in cues if c.event.agent_id == "a1"] == sorted(c.at for c in cues if c.event.agent_id == "a1")


async def test_a_run_without_times_replays_with_a_notice() -> None:
    run, events = hand_recorded(interrupted=False)
    app = app_for(run, events, speed=None)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.done)
        screen = app.screen
        assert UNTIMED_NOTE in notes
        assert "steady pace (no times recorded)" in screen.query_one("#arena-status").markup
        assert [p.live.status for p in screen.panes] == ["ok", "ok"]
        assert "first done" in screen.panes[0].text


async def test_an_interrupted_run_ends_where_it_stopped() -> None:
    run, events = hand_recorded(interrupted=True)
    assert run.interrupted
    app = app_for(run, events, speed=None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.done)
        screen = app.screen
        first, second = screen.panes
        assert first.live.status == "ok" and "first done" in first.text
        assert second.live.status == "cancelled" and "half an answer" in second.text
        assert "stopped before this agent finished" in (second.live.error or "")
        status = screen.query_one("#arena-status").markup
        assert "interrupted" in status and "r: results" in status


# -- the player's clock -------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def timed_events() -> list[Event]:
    return [AgentStarted("a1", "openai:gpt-5-mini", "gpt-5-mini", at=0.01), TextDelta("a1", "one", at=1.0),
            AgentStarted("a2", "openai:gpt-5-nano", "gpt-5-nano", at=0.02), TurnFinished("a1", 1, at=2.5),
            TextDelta("a2", "two", at=2.49), TurnFinished("a2", 1, at=3.0), AgentFinished("a1", at=4.0)]


async def test_player_keeps_the_pace_and_the_speed() -> None:
    events = timed_events()
    fake = FakeTime()
    player = ReplayPlayer(events, speed=2.0, clock=fake.clock, sleep=fake.sleep)
    seen: list[tuple[float, float]] = []  # (pane clock, real time) of each delivery
    await player.play(lambda e: seen.append((player.now(), fake.now)))
    assert len(seen) == len(events) and player.over
    latest = 0.0
    for (stamp, real), cue in zip(seen, player.cues):
        assert stamp == cue.at
        latest = max(latest, cue.at)  # an event stored after a later one goes at once
        assert real == pytest.approx(latest / 2.0, abs=0.11 / 2)  # within one sleep slice
    assert player.timed and player.now() == pytest.approx(player.end) == 4.0
    assert player.state == "replay · 2× · over"
    assert fake.now == pytest.approx(2.0, abs=0.06)  # a 4 s run at 2×


async def test_player_counts_from_when_it_plays_and_stamps_each_event_with_its_own_time() -> None:
    """The app takes a second or two to open: at 50× that must not skip the run's first
    minute. And an event handed over late (a slow UI) still reads its recorded time."""
    fake = FakeTime()
    player = ReplayPlayer(timed_events(), speed=50.0, clock=fake.clock, sleep=fake.sleep)
    fake.now = 2.0  # the screen opened two real seconds after the player was made

    async def late_sleep(seconds: float) -> None:
        await fake.sleep(seconds * 3)  # every nap overshoots

    player._sleep = late_sleep
    seen: list[tuple[float, float]] = []  # (pane clock, real time) at each hand-over
    await player.play(lambda e: seen.append((player.now(), fake.now)))
    assert [t for t, _ in seen] == [c.at for c in player.cues]
    assert seen[1][1] > 2.0  # the text at 1.0 s waited for its time
    assert fake.now - 2.0 == pytest.approx(4.0 / 50, rel=2.5)  # about a 4 s run at 50×, not 0


async def test_player_stands_still_while_paused_and_steps_to_a_turn_end() -> None:
    fake = FakeTime()
    player = ReplayPlayer(timed_events(), speed=1.0, clock=fake.clock, sleep=fake.sleep)
    seen: list[Event] = []

    def deliver(event: Event) -> None:
        seen.append(event)
        if isinstance(event, TextDelta) and event.text == "one":
            player.pause()  # as the space key would, right after the first text

    task = asyncio.create_task(player.play(deliver))
    for _ in range(50):
        await asyncio.sleep(0)
    assert player.paused and len(seen) == 2 and player.now() == pytest.approx(1.0, abs=0.11)
    fake.now += 100  # real time passes: the run time does not
    assert player.now() == pytest.approx(1.0, abs=0.11)
    player.step()
    for _ in range(50):
        await asyncio.sleep(0)
    assert player.paused and isinstance(seen[-1], TurnFinished) and seen[-1].agent_id == "a1"
    assert player.now() == 2.5 and player.state == "replay · 1× · paused"
    player.resume()
    await asyncio.wait_for(task, 5)
    assert len(seen) == len(timed_events()) and player.now() == 4.0


def test_speed_keys_have_bounds() -> None:
    player = ReplayPlayer([], speed=512.0)
    player.faster()
    assert player.speed == 1024.0
    player.faster()
    assert player.speed is None  # past the fastest: max
    player.slower()
    assert player.speed == 1024.0
    slow = ReplayPlayer([], speed=1 / 32)
    slow.slower()
    slow.slower()
    assert slow.speed == 1 / 64


# -- the command line ---------------------------------------------------------------------------


def one_error_line(capsys, *argv: str) -> str:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_cli_errors_are_one_line(capsys) -> None:
    assert "history is empty" in one_error_line(capsys, "replay", "latest")
    with RunStore() as store:
        store_run(store, run_of(agent("a1"), run_id="20260101-000000-aaaaaa"))
        store.begin_suite("s-20260102-abcd", "ladder", {"tasks": ["basic-read"]})
    assert "no stored run has this id" in one_error_line(capsys, "replay", "zzz")
    for bad in ("0", "-2", "fast", "inf"):
        line = one_error_line(capsys, "replay", "latest", "--speed", bad)
        assert "--speed expects a positive number or max" in line
    suite = one_error_line(capsys, "replay", "s-2026")
    assert "s-20260102-abcd: a suite, not a run" in suite and "nanotui show s-20260102-abcd" in suite


def test_cli_hands_the_stored_run_to_the_app(recorded, monkeypatch: pytest.MonkeyPatch) -> None:
    """A prefix resolves, `max` is no pacing, and the app gets the run and its events (the app
    itself needs a terminal: its Pilot tests are above)."""
    run, events = recorded
    handed: list[Replay] = []

    def run_app(replay: Replay | None = None) -> int:
        assert replay is not None
        handed.append(replay)
        return 0

    monkeypatch.setattr("nanotui.ui.app.run_app", run_app)
    assert main(["replay", run.run_id[:-2], "--speed", "max"]) == 0
    assert main(["replay", "latest", "--speed", "0.5"]) == 0
    assert [(r.run.run_id, r.speed) for r in handed] == [(run.run_id, None), (run.run_id, 0.5)]
    assert [e.to_dict() for e in handed[0].events] == [e.to_dict() for e in events]


async def test_history_p_on_a_suite_replays_its_first_task(monkeypatch: pytest.MonkeyPatch) -> None:
    store = RunStore()
    runs = store_suite(store, monkeypatch)
    app = NanotuiApp(store=store)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.pause()
        await pilot.press("p")  # the suite is the only row
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        assert app.screen.run_id == runs[0].run_id
        assert any(f"task 1 of {len(runs)}" in n for n in notes)
