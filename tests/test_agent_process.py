"""The arena's agents in the app's agent process (issue 13), against the loopback servers:
the child runs the engine's RecordedRun with the real SDKs and history; the arena shows what
it sends. Also the transcript's bounded memory: text kept once, paragraphs rendered lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nanotui.engine.history.store import RunStore
from nanotui.engine.roster.spec import ModelSpec
from nanotui.ui.agent_process import AgentProcess
from nanotui.ui.widgets.transcript_blocks import Palette, RenderContext, TextBlock
from tests import test_ui_arena
from tests.servers.script import Call, Reply
from tests.test_ui_arena import SIZE, ArenaHost, Held, Servers, make_arena, wait_for

servers = test_ui_arena.servers  # the arena tests' loopback servers fixture, with held replies

NANO = ModelSpec("gpt-5-nano", "openai", "gpt-5-nano", "GPT-5 nano")


class ProcessHost(ArenaHost):
    """An arena host that hands the arena an agent process, as ``NanotuiApp`` does."""

    def __init__(self, arena: Any) -> None:
        super().__init__(arena)
        self.processes: list[AgentProcess] = []

    def take_agent_process(self, specs: list[ModelSpec]) -> AgentProcess:
        process = AgentProcess(specs)
        self.processes.append(process)
        return process


async def test_a_run_in_the_agent_process_is_shown_and_recorded(servers: Servers, workspace: Path,
                                                                 tmp_path: Path) -> None:
    servers.openai.script("gpt-5-nano", Reply(calls=[Call("read_file", {"file_path": "README.md"})]),
                          Reply(text="The secret word is **PLUM**.", text_chunks=5))
    store = RunStore(tmp_path / "history.sqlite3")
    arena = make_arena(workspace, ["gpt-5-nano"], store=store)
    host = ProcessHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: arena.done, "the run to finish", timeout=60)
        arena.tick()
        assert host.processes and host.processes[0].pid is not None
        assert arena.pane("a1").text == "The secret word is **PLUM**."
        assert [a.status for a in arena.result.agents] == ["ok"]
        # RunFinished bubbles up to the app after ``done``: wait for it rather than race it
        await wait_for(pilot, lambda: host.finished, "the run-finished message", timeout=10)
        assert host.finished[0].run is arena.result
    assert host.processes[0].exitcode(10) == 0
    stored = store.load_run(arena.run_id)  # written by the child, read here
    assert [a.status for a in stored.agents] == ["ok"]
    assert stored.agents[0].final_answer == "The secret word is **PLUM**."
    kinds = [e.kind for e in store.events(arena.run_id)]
    assert kinds[0] == "agent_started" and "tool_call_finished" in kinds and kinds[-1] == "agent_finished"


async def test_cancelling_an_agent_reaches_the_agent_process(servers: Servers, workspace: Path) -> None:
    hold = servers.gate()
    servers.openai.script("gpt-5-nano", Held(text="never finishes", end=hold))
    servers.openai.script("gpt-5-mini", Reply(text="finishes fine"))
    arena = make_arena(workspace, ["gpt-5-nano", "gpt-5-mini"])
    host = ProcessHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: (arena.tick() or arena.pane("a1").text == "never finishes"), "a1 streaming",
                       timeout=60)
        await pilot.press("c")
        await wait_for(pilot, lambda: arena.done, "the run to finish", timeout=60)
        statuses = {a.agent_id: a.status for a in arena.result.agents}
        assert statuses == {"a1": "cancelled", "a2": "ok"}
        hold.set()


async def test_an_agent_process_that_dies_is_reported_and_the_run_kept_as_interrupted(
        servers: Servers, workspace: Path, tmp_path: Path) -> None:
    import os
    import signal

    hold = servers.gate()
    servers.openai.script("gpt-5-nano", Reply(text="done early"))
    servers.openai.script("gpt-5-mini", Held(text="still going", end=hold))
    store = RunStore(tmp_path / "history.sqlite3")
    arena = make_arena(workspace, ["gpt-5-nano", "gpt-5-mini"], store=store)
    host = ProcessHost(arena)
    async with host.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: arena.board.agents["a1"].done and arena.board.agents["a2"].turns == 0
                       and not arena.board.agents["a2"].done and arena.board.agents["a2"].started_at is not None,
                       "a1 done, a2 streaming", timeout=60)
        await pilot.pause(0.3)  # a1's commit is on disk
        os.kill(host.processes[0].pid, signal.SIGKILL)
        await wait_for(pilot, lambda: any("agents' process stopped unexpectedly" in n for n in host.notes),
                       "the failure to be reported", timeout=30)
        assert not arena.done
        hold.set()
    stored = store.load_run(arena.run_id)
    assert [a.agent_id for a in stored.agents if a.status == "ok"] == ["a1"]  # what finished is kept
    assert store.list_runs()[0].status == "interrupted"


def test_the_agent_process_says_what_it_prepares() -> None:
    process = AgentProcess([NANO, ModelSpec("claude-haiku-4-5", "anthropic", "claude-haiku-4-5", "Haiku")])
    try:
        assert process.preparing == "preparing the Anthropic client…"  # protocols in order
        process.wait_ready()
        assert process.preparing is None and process.ready.is_set()
    finally:
        process.close()
    assert process.exitcode(10) is not None  # an idle child goes at once


def test_closing_a_child_still_preparing_does_not_wait_for_it() -> None:
    process = AgentProcess([NANO, ModelSpec("claude-haiku-4-5", "anthropic", "claude-haiku-4-5", "Haiku")])
    process.close()  # at once: the SDK imports take a second or more
    assert process.exitcode(2) is not None


# -- the transcript's text, kept once and rendered lazily ---------------------------------


def paragraphs(n: int) -> str:
    return "".join(f"## Part {i}\n\nSome **bold** words and `code` in paragraph {i}, " * 3 + "\n\n"
                   for i in range(n))


def test_a_long_text_block_renders_lazily_and_gives_the_same_lines_as_a_full_render() -> None:
    ctx = RenderContext(Palette.from_variables("test", True, {}))
    text = paragraphs(200) + "and the paragraph in progress"
    block = TextBlock()
    for i in range(0, len(text), 37):
        block.append(text[i : i + 37])
    assert block.text == text  # kept once, exactly
    count = block.line_count(30, ctx)
    assert len(block._cache) == 0  # counting renders nothing: estimates
    last = [block.line(i, 30, ctx) for i in range(count - 5, count)]
    assert len(block._cache) <= 3  # only what was asked for
    assert last[-1] and "progress" in "".join(t for t, _ in last[-1])
    every = block.lines(30, ctx)  # now everything is exact
    assert len(block._cache) <= TextBlock.CACHED_PARAGRAPHS  # bounded however long the text
    fresh = TextBlock()
    fresh.append(text)
    assert fresh.lines(30, ctx) == every
    assert block.settled and block.line_count(30, ctx) == len(every)
    # a new width: estimates again until shown or settled
    block.line_count(50, ctx)
    assert not block.settled
    while block.settle(50, ctx, 0.01) is not False:
        pass
    assert block.line_count(50, ctx) == len(fresh.lines(50, ctx))


async def test_a_pane_hidden_by_a_zoom_keeps_its_text_and_shows_it_after(servers: Servers, workspace: Path) -> None:
    go = servers.gate()
    servers.openai.script("gpt-5", Held(text="the zoomed one"))
    servers.openai.script("gpt-5-mini", Held(text="arrives while hidden", start=go))
    arena = make_arena(workspace, ["gpt-5", "gpt-5-mini"])
    async with ArenaHost(arena).run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # zoom a1
        assert arena.zoomed is arena.pane("a1")
        go.set()
        hidden = arena.pane("a2")
        await wait_for(pilot, lambda: hidden.text == "arrives while hidden", "a2's text (folded by the timer)")
        assert hidden.transcript().stale  # taken, not rendered while hidden
        await pilot.press("escape")
        await wait_for(pilot, lambda: not hidden.transcript().stale, "a2 to render once shown")
        assert hidden.transcript().line_count > 0
        await wait_for(pilot, lambda: arena.done, "the run to finish")
