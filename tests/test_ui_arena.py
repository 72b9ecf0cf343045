"""The arena screen against the loopback servers: real SDKs, real HTTP, scripted models.

Snapshots catch a run mid-way deterministically: a ``Held`` reply makes the server wait on a
``threading.Event`` before its first byte and/or before the frame that ends the turn, and the
arena reads its times from a ``FakeClock`` the test sets. Nothing on screen depends on the
wall clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.results import TaskRef
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.plan import RunPlan
from nanotui.ui.screens.arena import ArenaScreen
from nanotui.ui.screens.confirm import ConfirmScreen
from nanotui.ui.themes import load_themes
from nanotui.ui.widgets.agent_pane import AgentPane
from nanotui.ui.widgets.pane_grid import grid_shape
from nanotui.ui.widgets.transcript import ToolBlock
from tests.helpers import FAST_RETRY
from tests.servers.anthropic_server import AnthropicServer
from tests.servers.ollama_server import OllamaServer
from tests.servers.openai_server import OpenAIServer
from tests.servers.script import Call, Fault, Reply

SIZE = (160, 48)
HOLD_LIMIT_S = 30.0  # a held reply never waits longer, so a broken test cannot hang the suite


# -- held replies ---------------------------------------------------------------------------


@dataclass
class Held(Reply):
    """A reply the server holds: before its first byte until ``start`` is set, and before the
    frame that ends the turn until ``end`` is set (``None`` = no hold)."""

    start: threading.Event | None = None
    end: threading.Event | None = None


@dataclass
class HeldFault(Fault):
    """A failure the server sends only once ``start`` is set."""

    start: threading.Event | None = None


class HoldingServer:
    """Mixin for a ScriptedServer: serves :class:`Held` replies and faults with their holds."""

    def next_step(self, model: str) -> Any:
        step = super().next_step(model)  # type: ignore[misc]
        start = getattr(step, "start", None)
        if start is not None:  # runs in the request's handler thread
            start.wait(HOLD_LIMIT_S)
        return step

    def stream(self, h: Any, body: Any, reply: Reply, fault: Fault | None) -> None:
        if not isinstance(reply, Held):
            super().stream(h, body, reply, fault)  # type: ignore[misc]
            return
        h.send_response(200)
        h.send_header("content-type", self.content_type)  # type: ignore[attr-defined]
        h.send_header("cache-control", "no-cache")
        h.send_header("connection", "close")
        h.end_headers()
        h.close_connection = True
        frames = list(self.frames(body, reply))  # type: ignore[attr-defined]
        try:
            for frame in frames[:-1]:
                h.wfile.write(frame)
                h.wfile.flush()
            if reply.end is not None:
                reply.end.wait(HOLD_LIMIT_S)
            h.wfile.write(frames[-1])
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


class HeldOpenAI(HoldingServer, OpenAIServer):
    pass


class HeldAnthropic(HoldingServer, AnthropicServer):
    pass


class HeldOllama(HoldingServer, OllamaServer):
    pass


@dataclass
class Servers:
    openai: HeldOpenAI
    anthropic: HeldAnthropic
    ollama: HeldOllama
    gates: list[threading.Event] = field(default_factory=list)

    def gate(self) -> threading.Event:
        event = threading.Event()
        self.gates.append(event)
        return event


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Servers]:
    with HeldOpenAI() as oa, HeldAnthropic() as an, HeldOllama() as ol:
        monkeypatch.setenv("OPENAI_BASE_URL", oa.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-loopback-key-0000")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", an.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-loopback-0000")
        monkeypatch.setenv("OLLAMA_HOST", ol.host)
        s = Servers(oa, an, ol)
        try:
            yield s
        finally:
            for g in s.gates:  # let every held handler finish before the servers stop
                g.set()


# -- a tiny host app ----------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ArenaHost(App[None]):
    """Just enough app to show an ArenaScreen (the real app is nanotui/ui/app.py)."""

    def __init__(self, arena: ArenaScreen, theme: str = "nanotui-dark") -> None:
        super().__init__()
        themes, problems = load_themes()
        assert not problems, problems
        for t in themes:
            self.register_theme(t)
        self.theme = theme
        self.arena = arena
        self.finished: list[ArenaScreen.RunFinished] = []
        self.show_results: list[ArenaScreen.ShowResults] = []
        self.notes: list[str] = []

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append(message)
        super().notify(message, **kwargs)

    def on_mount(self) -> None:
        self.push_screen(self.arena)

    def on_arena_screen_run_finished(self, message: ArenaScreen.RunFinished) -> None:
        self.finished.append(message)

    def on_arena_screen_show_results(self, message: ArenaScreen.ShowResults) -> None:
        self.show_results.append(message)


# Our own specs, not the shipped roster's: the snapshots must not change when the roster does.
SPECS = {
    s.name: s
    for s in (
        ModelSpec("gpt-5", "openai", "gpt-5", "GPT-5", options={"reasoning_effort": "medium"}),
        ModelSpec("gpt-5-mini", "openai", "gpt-5-mini", "GPT-5 mini", options={"reasoning_effort": "medium"}),
        ModelSpec("gpt-5-nano", "openai", "gpt-5-nano", "GPT-5 nano", options={"reasoning_effort": "medium"}),
        ModelSpec("gpt-4.1", "openai", "gpt-4.1", "GPT-4.1"),
        ModelSpec("gpt-4o-mini", "openai", "gpt-4o-mini", "GPT-4o mini"),
        ModelSpec("claude-opus-4-1", "anthropic", "claude-opus-4-1", "Claude Opus 4.1", options={"max_tokens": 8192}),
        ModelSpec("claude-sonnet-4-6", "anthropic", "claude-sonnet-4-6", "Claude Sonnet 4.6",
                  options={"max_tokens": 8192}),
        ModelSpec("claude-haiku-4-5", "anthropic", "claude-haiku-4-5", "Claude Haiku 4.5",
                  options={"max_tokens": 4096}),
        ModelSpec("gpt-oss-20b", "ollama", "gpt-oss:20b", "gpt-oss 20b (Ollama)",
                  options={"think": "medium", "num_ctx": 32768}),
    )
}


def spec(name: str) -> ModelSpec:
    return SPECS[name]


def make_arena(workspace: Path, names: list[str], clock: FakeClock | None = None, **kw: Any) -> ArenaScreen:
    prompt = "Read README.md and summarise it in two sentences."
    plan = RunPlan(
        TaskRef("readme-summary", prompt, "Summarise the README"),
        AgentTask(prompt, workspace),
        [spec(n) for n in names],
        Limits(max_turns=6, timeout_s=60),
    )
    return ArenaScreen(plan, clock=clock or FakeClock(), retry_policy=FAST_RETRY, **kw)


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def settle(pilot: Pilot, arena: ArenaScreen, texts: dict[str, str] | None = None) -> None:
    """Flush every pane and wait until the given panes show exactly the given text."""
    arena.tick()
    for agent_id, text in (texts or {}).items():
        pane = arena.pane(agent_id)

        def shown() -> bool:
            arena.tick()
            return pane.text == text

        deadline = time.monotonic() + 15
        while not shown():
            assert time.monotonic() < deadline, f"{agent_id} shows {pane.text!r}, expected {text!r}"
            await pilot.pause(0.02)
    await wait_for(pilot, lambda: all(p._estimates is not None for p in arena.panes), "token estimates")
    arena.tick()
    await pilot.pause()


# -- scripts ----------------------------------------------------------------------------------

GPT5_REASONING = "The README is short. I can answer from the prompt's file after reading it once."
GPT5_TEXT = (
    "## Summary\n\nThe README introduces **Demo**, a tiny sample project, and states that "
    "the secret word is `PLUM`.\n\nIt has no build or install steps."
)
MINI_TEXT = "The README is a two-line file: a *Demo* heading and one sentence giving the secret word, PLUM."
SONNET_TEXT = "README.md describes a demo project. Its only fact is that the secret word is PLUM."


def script_three(s: Servers) -> tuple[threading.Event, dict[str, str]]:
    """GPT-5 reasoning then streaming; GPT-5 mini after two tools, streaming; Sonnet waiting
    for its first token. Returns the gate that starts them and the text each pane shows."""
    go, hold = s.gate(), s.gate()
    s.openai.script("gpt-5", Held(reasoning=GPT5_REASONING, text=GPT5_TEXT, text_chunks=9,
                                   start=go, end=hold, input_tokens=812))
    s.openai.script(
        "gpt-5-mini",
        Held(calls=[Call("list_directory", {})], start=go, input_tokens=790, output_tokens=18),
        Reply(calls=[Call("read_file", {"file_path": "README.md"})], input_tokens=870, output_tokens=22),
        Held(text=MINI_TEXT, text_chunks=6, end=hold),
    )
    s.anthropic.script("claude-sonnet-4-6", Held(text=SONNET_TEXT, start=hold))
    return go, {"a1": GPT5_TEXT, "a2": MINI_TEXT}


THREE = ["gpt-5", "gpt-5-mini", "claude-sonnet-4-6"]


async def run_three_to_mid(pilot: Pilot, arena: ArenaScreen, clock: FakeClock, go: threading.Event,
                           texts: dict[str, str]) -> None:
    await wait_for(pilot, lambda: all(p.started_at is not None for p in arena.panes), "agents to start")
    clock.now = 1.4
    go.set()
    await wait_for(pilot, lambda: arena.board.agents["a2"].turns == 2, "GPT-5 mini's tool turns")
    clock.now = 7.3
    await settle(pilot, arena, texts)


# -- snapshots --------------------------------------------------------------------------------


def test_snapshot_three_panes_mid_run(snap_compare, servers: Servers, workspace: Path) -> None:
    clock = FakeClock()
    arena = make_arena(workspace, THREE, clock)
    go, texts = script_three(servers)

    async def run_before(pilot: Pilot) -> None:
        await run_three_to_mid(pilot, arena, clock, go, texts)

    assert snap_compare(ArenaHost(arena), terminal_size=SIZE, run_before=run_before)


def test_snapshot_zoomed_pane_with_reasoning_open(snap_compare, servers: Servers, workspace: Path) -> None:
    clock = FakeClock()
    arena = make_arena(workspace, THREE, clock)
    go, texts = script_three(servers)

    async def run_before(pilot: Pilot) -> None:
        await run_three_to_mid(pilot, arena, clock, go, texts)
        await pilot.press("enter", "t")
        await pilot.pause()
        assert arena.zoomed is arena.pane("a1")

    assert snap_compare(ArenaHost(arena), terminal_size=SIZE, run_before=run_before)


def test_snapshot_three_panes_light_theme(snap_compare, servers: Servers, workspace: Path) -> None:
    clock = FakeClock()
    arena = make_arena(workspace, THREE, clock)
    go, texts = script_three(servers)

    async def run_before(pilot: Pilot) -> None:
        await run_three_to_mid(pilot, arena, clock, go, texts)

    assert snap_compare(ArenaHost(arena, theme="nanotui-light"), terminal_size=SIZE, run_before=run_before)


NINE = [
    "gpt-5", "gpt-5-mini", "gpt-5-nano",
    "claude-opus-4-1", "claude-sonnet-4-6", "claude-haiku-4-5",
    "gpt-oss-20b", "gpt-4.1", "gpt-4o-mini",
]


def test_snapshot_nine_panes_mid_run(snap_compare, servers: Servers, workspace: Path) -> None:
    clock = FakeClock()
    arena = make_arena(workspace, NINE, clock)
    s = servers
    go, hold = s.gate(), s.gate()
    s.openai.script("gpt-5", Held(reasoning=GPT5_REASONING, text=GPT5_TEXT, text_chunks=9, start=go, end=hold))
    s.openai.script(
        "gpt-5-mini",
        Held(calls=[Call("read_file", {"file_path": "README.md"})], start=go),
        Held(text=MINI_TEXT, end=hold),
    )
    s.openai.script("gpt-5-nano", Held(text="Demo project; the secret word is PLUM.", start=go, output_tokens=11))
    s.anthropic.script("claude-opus-4-1", Held(reasoning="Short file; summarise directly.", text=SONNET_TEXT,
                                               start=go, end=hold))
    s.anthropic.script(
        "claude-sonnet-4-6",
        Held(calls=[Call("get_file_info", {"file_path": "README.md"})], start=go),
        Reply(calls=[Call("read_file", {"file_path": "README.md"})]),
        Held(text="The README is two lines long", end=hold),
    )
    s.anthropic.script("claude-haiku-4-5", HeldFault(404, "model: claude-haiku-4-5 not found", start=go))
    s.ollama.script("gpt-oss:20b", Held(text="It is a demo README. The secret word: PLUM.", start=go, end=hold))
    s.openai.script("gpt-4.1", Held(text="unused", start=hold))
    s.openai.script(
        "gpt-4o-mini",
        Held(calls=[Call("read_file", {"file_path": "../outside.txt"})], start=go),
        Held(text="I cannot read outside the workspace.", end=hold),
    )
    texts = {"a1": GPT5_TEXT, "a2": MINI_TEXT, "a3": "Demo project; the secret word is PLUM.",
             "a4": SONNET_TEXT, "a5": "The README is two lines long", "a7": "It is a demo README. The secret word: PLUM.",
             "a9": "I cannot read outside the workspace."}

    async def run_before(pilot: Pilot) -> None:
        board = arena.board.agents
        await wait_for(pilot, lambda: all(p.started_at is not None for p in arena.panes), "agents to start")
        clock.now = 2.1
        go.set()
        await wait_for(pilot, lambda: board["a3"].done and board["a6"].done, "nano to finish, haiku to fail")
        await wait_for(pilot, lambda: board["a5"].tool_calls == 2 and board["a9"].turns == 1, "tool calls")
        clock.now = 9.6
        await settle(pilot, arena, texts)

    assert snap_compare(ArenaHost(arena), terminal_size=SIZE, run_before=run_before)


def test_snapshot_tool_error_and_failed_pane(snap_compare, servers: Servers, workspace: Path) -> None:
    clock = FakeClock()
    arena = make_arena(workspace, ["gpt-5-mini", "claude-sonnet-4-6", "gpt-5-nano"], clock)
    s = servers
    go, hold = s.gate(), s.gate()
    s.openai.script(
        "gpt-5-mini",
        Held(calls=[Call("read_file", {"file_path": "../../etc/passwd"}),
                    Call("edit_file", {"file_path": "README.md", "old_str": "MANGO", "new_str": "KIWI"})], start=go),
        Held(text="Both tool calls failed; the README says the secret word is PLUM.", end=hold),
    )
    s.anthropic.script(
        "claude-sonnet-4-6",
        Held(calls=[Call("get_file_info", {"file_path": "docs/missing.md"})], start=go),
        Held(text="There is no docs folder. ", end=hold),
    )
    s.openai.script("gpt-5-nano", HeldFault(401, "Incorrect API key provided", start=go))
    texts = {"a1": "Both tool calls failed; the README says the secret word is PLUM.",
             "a2": "There is no docs folder. "}

    async def run_before(pilot: Pilot) -> None:
        board = arena.board.agents
        await wait_for(pilot, lambda: all(p.started_at is not None for p in arena.panes), "agents to start")
        clock.now = 0.9
        go.set()
        await wait_for(pilot, lambda: board["a3"].done and board["a1"].turns == 1 and board["a2"].turns == 1,
                       "tool turns and the failure")
        clock.now = 4.2
        await settle(pilot, arena, texts)
        calls = [b.call for b in arena.pane("a1").transcript().blocks if isinstance(b, ToolBlock)]
        assert [c.ok for c in calls] == [False, False]
        assert "outside the workspace" in calls[0].error_line

    assert snap_compare(ArenaHost(arena), terminal_size=SIZE, run_before=run_before)


# -- behaviour ----------------------------------------------------------------------------------


def test_grid_shape_keeps_panes_readable() -> None:
    width, height = 160, 46  # 160x48 less the status line and the footer
    assert grid_shape(1, width, height) == (1, 1)
    assert grid_shape(2, width, height) == (2, 1)
    assert grid_shape(3, width, height) == (3, 1)
    assert grid_shape(4, width, height) == (2, 2)
    assert grid_shape(9, width, height) == (3, 3)
    assert grid_shape(16, width, height) == (4, 4)
    for n in range(1, 17):
        cols, rows = grid_shape(n, width, height)
        assert cols * rows >= n and (cols - 1) * rows < n and cols * (rows - 1) < n
    # A tall, narrow terminal stacks panes instead of squeezing them side by side.
    assert grid_shape(3, 80, 60) == (1, 3)


async def test_nine_panes_are_readable_at_160x48(servers: Servers, workspace: Path) -> None:
    hold = servers.gate()
    for name in NINE:
        s = spec(name)
        server = {"openai": servers.openai, "anthropic": servers.anthropic, "ollama": servers.ollama}[s.provider]
        server.script(s.model, Held(text="x", start=hold))
    arena = make_arena(workspace, NINE)
    async with ArenaHost(arena).run_test(size=SIZE) as pilot:
        await pilot.pause()
        regions = [p.region for p in arena.panes]
        assert all(r.width >= 50 and r.height >= 14 for r in regions), regions
        assert len({r.y for r in regions}) == 3 and len({r.x for r in regions}) == 3
        # arrows move focus in the grid; tab goes to the next pane
        assert arena.focused is arena.pane("a1")
        await pilot.press("down")
        assert arena.focused is arena.pane("a4")
        await pilot.press("right", "right", "right")  # stays on its row
        assert arena.focused is arena.pane("a6")
        await pilot.press("tab")
        assert arena.focused is arena.pane("a7")
        await pilot.press("up", "left")
        assert arena.focused is arena.pane("a4")


async def test_streamed_text_arrives_whole_and_estimates_turn_exact(servers: Servers, workspace: Path) -> None:
    text = "".join(f"Line {i}: the quick brown fox jumps over the lazy dog.\n\n" for i in range(60))
    hold = servers.gate()
    servers.openai.script("gpt-5-mini", Held(text=text, text_chunks=400, end=hold, input_tokens=1234,
                                             output_tokens=777))
    arena = make_arena(workspace, ["gpt-5-mini"])
    async with ArenaHost(arena).run_test(size=SIZE) as pilot:
        pane = arena.pane("a1")
        await settle(pilot, arena, {"a1": text})
        header = pane.header
        assert "out ~" in header and "in ~" in header, header  # estimates while streaming
        import re

        from nanotui.engine.roster.tokens import count_tokens, load_encoding

        estimate = int(re.search(r"out ~([\d,]+)", header).group(1).replace(",", ""))
        assert abs(estimate - count_tokens(text, load_encoding())) <= 3, header
        hold.set()
        await wait_for(pilot, lambda: arena.done, "the run to finish")
        arena.tick()
        header = pane.header
        assert "in 1,234" in header and "out 777" in header and "~" not in header, header
        assert pane.text == text  # not one token lost
        assert arena.result is not None and arena.result.agents[0].status == "ok"
        import gc

        assert gc.get_freeze_count() > 0  # frozen while the arena is shown (no full scans of it)
        await pilot.press("escape")  # the run is over: back to the screen before
        await wait_for(pilot, lambda: not arena.is_attached, "the arena to close")
        assert gc.get_freeze_count() == 0  # never kept for good


async def test_cancel_one_agent_with_c_others_go_on(servers: Servers, workspace: Path) -> None:
    hold, release = servers.gate(), servers.gate()
    servers.openai.script("gpt-5", Held(text="never finishes", end=hold))
    servers.openai.script("gpt-5-mini", Held(text="finishes fine", end=release))
    arena = make_arena(workspace, ["gpt-5", "gpt-5-mini"])
    host = ArenaHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await settle(pilot, arena, {"a1": "never finishes", "a2": "finishes fine"})
        await pilot.press("c")
        await wait_for(pilot, lambda: arena.board.agents["a1"].done, "a1 to be cancelled")
        assert arena.board.agents["a1"].status == "cancelled"
        assert not arena.board.agents["a2"].done
        release.set()
        await wait_for(pilot, lambda: arena.done, "the run to finish")
        statuses = {a.agent_id: a.status for a in arena.result.agents}
        assert statuses == {"a1": "cancelled", "a2": "ok"}
        assert arena.result.interrupted is False
        arena.tick()
        assert "cancelled" in str(arena.pane("a1").border_subtitle)


@pytest.mark.parametrize("key", ["escape", "ctrl+c"])
async def test_escape_or_ctrl_c_asks_before_cancelling_the_run(servers: Servers, workspace: Path, key: str) -> None:
    hold = servers.gate()
    servers.openai.script("gpt-5", Held(text="working on it", end=hold))
    servers.anthropic.script("claude-sonnet-4-6", Held(text="me too", end=hold))
    store = RecordingStore()
    arena = make_arena(workspace, ["gpt-5", "claude-sonnet-4-6"], store=store)
    host = ArenaHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await settle(pilot, arena, {"a1": "working on it", "a2": "me too"})
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(host.screen, ConfirmScreen)
        await pilot.press("n")  # keep running
        await pilot.pause()
        assert host.screen is arena and not arena.done
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(host.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: arena.done, "the run to stop")
        assert host.screen is arena
        run = arena.result
        assert run.interrupted and [a.status for a in run.agents] == ["cancelled", "cancelled"]
        await pilot.pause()
        assert [m.run for m in host.finished] == [run]
        assert store.finished == [run] and store.begun and store.begun[0]["run_id"] == run.run_id
        assert {e.kind for e in store.events} >= {"agent_started", "text_delta", "agent_finished"}
        # once the run is over, escape no longer asks
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(host.screen, ConfirmScreen)


async def test_enter_zooms_and_escape_only_unzooms(servers: Servers, workspace: Path) -> None:
    hold = servers.gate()
    servers.openai.script("gpt-5", Held(text="one", end=hold))
    servers.openai.script("gpt-5-mini", Held(text="two", end=hold))
    arena = make_arena(workspace, ["gpt-5", "gpt-5-mini"])
    host = ArenaHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await settle(pilot, arena, {"a1": "one", "a2": "two"})
        await pilot.press("right", "enter")
        assert arena.zoomed is arena.pane("a2")
        assert arena.pane("a2").region.width == SIZE[0]
        await pilot.press("escape")
        await pilot.pause()
        assert arena.zoomed is None and host.screen is arena  # no "cancel the run?" question


async def test_r_shows_results_only_when_done(servers: Servers, workspace: Path) -> None:
    hold = servers.gate()
    servers.openai.script("gpt-5-nano", Held(text="done", end=hold))
    done: list[Any] = []
    arena = make_arena(workspace, ["gpt-5-nano"], on_done=done.append)
    host = ArenaHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await settle(pilot, arena, {"a1": "done"})
        await pilot.press("r")
        await pilot.pause()
        assert host.show_results == []
        hold.set()
        await wait_for(pilot, lambda: arena.done, "the run to finish")
        await pilot.press("r")
        await pilot.pause()
        assert [m.run for m in host.show_results] == [arena.result] == done


async def test_failing_store_is_reported_and_the_run_goes_on(servers: Servers, workspace: Path) -> None:
    servers.openai.script("gpt-5-nano", Reply(text="fine"))
    arena = make_arena(workspace, ["gpt-5-nano"], store=BrokenStore())
    host = ArenaHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: arena.done, "the run to finish")
        assert arena.result.agents[0].status == "ok"
        assert any("History: could not record an event" in m and "disk full" in m for m in host.notes), host.notes


async def test_provider_failure_shows_in_its_pane(servers: Servers, workspace: Path) -> None:
    servers.openai.script("gpt-5", Fault(400, "Unsupported parameter: 'reasoning.effort'"))
    servers.openai.script("gpt-5-mini", Reply(text="all good"))
    arena = make_arena(workspace, ["gpt-5", "gpt-5-mini"])
    async with ArenaHost(arena).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: arena.done, "the run to finish")
        arena.tick()
        failed = arena.pane("a1")
        assert failed.has_class("-failed")
        error = str(failed.query_one("#pane-error").render())
        assert "Unsupported parameter" in error
        assert arena.pane("a2").text == "all good" and arena.pane("a2").has_class("-ok")


def test_every_binding_has_an_id() -> None:
    for screen in (ArenaScreen, ConfirmScreen):
        for binding in screen.BINDINGS:
            assert getattr(binding, "id", None), (screen.__name__, binding)


class PaneHost(App[None]):
    """A single widget in a tiny app."""

    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> Any:
        yield self.widget


async def test_pane_only_changes_when_flushed_and_counts_each_token_once() -> None:
    from nanotui.engine.events import AgentStarted, TextDelta, TurnFinished
    from nanotui.engine.run.live import LiveBoard
    from nanotui.engine.usage import Usage

    board = LiveBoard()
    board.add("a1", "openai:gpt-5", "GPT-5")
    pane = AgentPane(board.agents["a1"], clock=FakeClock())
    async with PaneHost(pane).run_test(size=(60, 20)) as pilot:
        events = [AgentStarted("a1", "openai:gpt-5", "GPT-5"), *(TextDelta("a1", "tok ") for _ in range(1000))]
        for event in events:
            board.apply(event)
            pane.take(event)
        assert pane.text == ""  # per-token events only queue
        pane.flush()
        assert pane.text == "tok " * 1000
        pane.flush()  # nothing queued: nothing added twice
        assert pane.text == "tok " * 1000
        pane.refresh_counters()
        assert "out –" not in pane.header and "turn 1" in pane.header
        finished = TurnFinished("a1", 1, Usage(120, 0, 0, 1000), Usage(120, 0, 0, 1000), 0.01)
        board.apply(finished)
        pane.take(finished)
        pane.flush()
        pane.refresh_counters()
        assert "in 120  out 1,000  $0.0100" in pane.header and "~" not in pane.header
        await pilot.pause()


async def test_transcript_follows_and_scrolls_back() -> None:
    from nanotui.ui.widgets.transcript import ReasoningBlock, TextBlock, TranscriptView

    view = TranscriptView("nothing yet")
    async with PaneHost(view).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        reasoning = view.add(ReasoningBlock())
        reasoning.append("first I think")
        text = view.add(TextBlock())
        for i in range(30):
            text.append(f"line {i}\n\n")
        view.changed(text)
        view.update_lines()
        assert view.follow and view.top == view.line_count - 10  # shows the end
        view.scroll_for_user("page_up")
        assert not view.follow and view.top < view.line_count - 10
        top = view.top
        text.append("more\n\n")
        view.changed(text)
        view.update_lines()
        assert view.top == top  # scrolled back: new lines do not move the view
        view.scroll_for_user("end")
        assert view.follow and view.top == view.line_count - 10
        # re-rendering only what changed gives exactly what a full render gives
        incremental = view.all_lines()
        view._mark(0)
        view.update_lines()
        assert view.all_lines() == incremental
        # clicking the reasoning line opens it
        view.scroll_for_user("home")
        before = view.line_count
        await pilot.click(TranscriptView, offset=(2, 0))
        assert reasoning.expanded and view.line_count > before


def test_a_blank_line_inside_a_code_fence_does_not_split_the_paragraph() -> None:
    from nanotui.ui.widgets.transcript import TextBlock

    block = TextBlock()
    for piece in ["Intro.\n\n```py\nx = 1\n", "\ny = 2\n```\n\nAfter", " the code."]:
        block.append(piece)
    assert block.chunks == ["Intro.", "```py\nx = 1\n\ny = 2\n```"]
    assert block._tail == "After the code."
    assert block.text == "Intro.\n\n```py\nx = 1\n\ny = 2\n```\n\nAfter the code."


async def test_run_is_recorded_in_the_real_history(servers: Servers, workspace: Path, tmp_path: Path) -> None:
    from nanotui.engine.history.store import RunStore

    servers.openai.script("gpt-5-nano", Reply(calls=[Call("read_file", {"file_path": "README.md"})]),
                          Reply(text="PLUM"))
    store = RunStore(tmp_path / "history.sqlite3")
    arena = make_arena(workspace, ["gpt-5-nano"], store=store)
    async with ArenaHost(arena).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: arena.done, "the run to finish")
    stored = store.load_run(arena.run_id)
    assert [a.status for a in stored.agents] == ["ok"] and stored.agents[0].final_answer == "PLUM"
    kinds = [e.kind for e in store.events(arena.run_id)]
    assert kinds[0] == "agent_started" and "tool_call_finished" in kinds and kinds[-1] == "agent_finished"
    assert store.error is None


# -- stores (nanotui.engine.run.service.RunHistory, like RunStore) ------------------------------------


class RecordingStore:
    def __init__(self) -> None:
        self.begun: list[dict[str, Any]] = []
        self.events: list[Any] = []
        self.finished: list[Any] = []

    error: str | None = None

    def begin_run(self, run_id: str, task: TaskRef, specs: list[ModelSpec], plan: dict[str, Any],
                  **kw: Any) -> None:
        self.begun.append({"run_id": run_id, "task": task, "specs": specs})

    def record(self, event: Any, run_id: str | None = None) -> None:
        self.events.append(event)

    def finish_run(self, run: Any) -> None:
        self.finished.append(run)

    def resume_run(self, run_id: str) -> None:
        raise AssertionError("the arena never resumes a run")

    def mark_interrupted(self, run_id: str | None = None, run: Any = None) -> None:
        self.finished.append(run)

    def add_verdict(self, run_id: str, verdict: Any) -> int:
        return 1


class BrokenStore(RecordingStore):
    def record(self, event: Any, run_id: str | None = None) -> None:
        raise OSError("disk full")


async def test_a_queued_pane_says_what_holds_it_back() -> None:
    from textual.app import App

    from nanotui.engine.events import AgentQueued
    from nanotui.engine.run.live import LiveBoard

    board = LiveBoard()
    board.add("a1", "ollama:gpt-oss:20b", "gpt-oss 20b")
    pane = AgentPane(board.agents["a1"], clock=FakeClock(), id="pane-a1")

    class Host(App[None]):
        def compose(self):
            yield pane

    async with Host().run_test(size=(80, 12)) as pilot:
        board.apply(AgentQueued("a1", "ollama:gpt-oss:20b", "gpt-oss 20b", "Ollama at 127.0.0.1 runs 1 at a time"))
        pane.refresh_counters()
        await pilot.pause()
        assert "queued: Ollama at 127.0.0.1 runs 1 at a time" in str(pane.border_subtitle)
