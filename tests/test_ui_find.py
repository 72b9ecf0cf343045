"""The zoomed pane: finding text in a long transcript (``/``, enter, n, N, escape) and the
zoom rendering ahead. A finished pane is fed its events by hand through the real arena screen
(no run: ``_run`` does nothing), so what it holds is known exactly."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.events import AgentStarted, TextDelta, ToolCallFinished, ToolCallStarted
from nanotui.engine.results import TaskRef
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.plan import RunPlan
from nanotui.ui.screens.arena import ArenaScreen
from nanotui.ui.themes import load_themes
from nanotui.ui.widgets.agent_pane import AgentPane
from nanotui.ui.widgets.find_bar import FindBar
from nanotui.ui.widgets.transcript import TextBlock, TranscriptView

SIZE = (100, 30)


def filler(i: int) -> str:
    return f"Paragraph {i} says nothing in particular, at some length, to fill the screen. " * 3


# 'plum' three times, far apart: early, in the middle (never rendered before the search) and
# in the paragraph still in progress; once more in a tool call's argument.
TEXT = "".join(
    [filler(0), "The first plum is here.\n\n"]
    + [filler(i) + "\n\n" for i in range(1, 120)]
    + ["A **PLUM** in the middle.\n\n"]
    + [filler(i) + "\n\n" for i in range(120, 240)]
    + ["and the last Plum, still streaming"]
)


class NoRun(ArenaScreen):
    """The arena without a run: the test feeds the events."""

    def _run(self) -> None:  # type: ignore[override]
        pass


class Host(App[None]):
    def __init__(self, arena: ArenaScreen) -> None:
        super().__init__()
        for theme in load_themes()[0]:
            self.register_theme(theme)
        self.theme = "nanotui-dark"
        self.arena = arena

    def on_mount(self) -> None:
        self.push_screen(self.arena)


def make_arena(tmp_path: Path, panes: int = 2) -> NoRun:
    specs = [ModelSpec(f"m{i}", "openai", "gpt-5-mini", f"Model {i}") for i in range(panes)]
    plan = RunPlan(TaskRef("find", "p", "find test"), AgentTask("p", tmp_path), specs, Limits(max_turns=3, timeout_s=60))
    return NoRun(plan)


def feed(arena: ArenaScreen) -> None:
    for agent_id in arena.agent_ids:
        arena._on_event(AgentStarted(agent_id, "openai:gpt-5-mini", "Model"))
        arena._on_event(ToolCallStarted(agent_id, "c1", "read_file", {"file_path": "plum.txt"}))
        arena._on_event(ToolCallFinished(agent_id, "c1", True, 5, "plum\n"))
        for i in range(0, len(TEXT), 40):
            arena._on_event(TextDelta(agent_id, TEXT[i : i + 40]))
    arena.flush_all()


def shown(view: TranscriptView) -> str:
    """The text on screen, one line per row."""
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


async def zoomed(pilot: Pilot, arena: ArenaScreen) -> AgentPane:
    feed(arena)
    await pilot.pause()
    arena.panes[0].scroll("home")
    await pilot.press("enter")
    await pilot.pause()
    assert arena.zoomed is arena.panes[0]
    return arena.panes[0]


async def test_find_next_previous_wrap_and_escape(tmp_path: Path) -> None:
    arena = make_arena(tmp_path)
    async with Host(arena).run_test(size=SIZE) as pilot:
        pane = await zoomed(pilot, arena)
        view = pane.transcript()
        assert not pane.query(FindBar) and "Find" in arena.query_one("#arena-keys").markup
        await pilot.press("slash")
        bar = pane.query_one(FindBar)  # mounted on the first use
        count = bar.query_one("#find-count")
        assert bar.is_open and isinstance(arena.focused, Input)
        await pilot.press(*"plum")
        await pilot.pause()
        # four matches: the tool call's argument, then the three in the text, case ignored
        assert str(count.render()) == "1/4"
        assert "plum.txt" in shown(view)
        await pilot.press("enter")  # the next match, and the keys go back to the pane
        await pilot.pause()
        assert str(count.render()) == "2/4" and arena.focused is pane
        assert "The first plum is here." in shown(view)
        await pilot.press("n")  # the middle one: never rendered at this width before
        await pilot.pause()
        assert str(count.render()) == "3/4"
        assert "A PLUM in the middle." in shown(view) and "first plum" not in shown(view)
        await pilot.press("n", "n")  # the paragraph in progress, then round to the first
        await pilot.pause()
        assert str(count.render()) == "1/4"
        await pilot.press("N")  # back round to the last
        await pilot.pause()
        assert str(count.render()) == "4/4" and "the last Plum, still streaming" in shown(view)
        # the match on screen is drawn in its own style
        row = next(y for y in range(view.size.height) if "last Plum" in view.render_line(y).text)
        segments = list(view.render_line(row))
        match = [seg.style for seg in segments if seg.text == "Plum"]
        rest = [seg.style for seg in segments if "still streaming" in seg.text]
        assert match and rest and match[0] is not None and rest[0] is not None
        assert match[0].bgcolor != rest[0].bgcolor
        await pilot.press("escape")  # closes the find box only
        await pilot.pause()
        assert not bar.is_open and arena.zoomed is pane and str(count.render()) == ""
        await pilot.press("escape")  # then un-zooms, as before
        await pilot.pause()
        assert arena.zoomed is None


async def test_no_match_and_escape_from_the_box(tmp_path: Path) -> None:
    arena = make_arena(tmp_path)
    async with Host(arena).run_test(size=SIZE) as pilot:
        pane = await zoomed(pilot, arena)
        top = pane.transcript().top
        await pilot.press("slash", *"quince")
        await pilot.pause()
        bar = pane.query_one(FindBar)
        assert bar.text == "quince"  # n and c are typed, not the pane's or the arena's keys
        assert str(bar.query_one("#find-count").render()) == "no match"
        assert pane.transcript().top == top  # nothing to go to: the view stays
        await pilot.press("escape")
        await pilot.pause()
        assert not bar.is_open and arena.zoomed is pane and arena.focused is pane


async def test_find_is_only_offered_zoomed(tmp_path: Path) -> None:
    arena = make_arena(tmp_path)
    async with Host(arena).run_test(size=SIZE) as pilot:
        feed(arena)
        await pilot.press("slash")
        await pilot.pause()
        assert not arena.panes[0].query(FindBar)
        assert "Find" not in arena.query_one("#arena-keys").markup


async def test_a_focused_quiet_pane_renders_its_zoom_ahead(tmp_path: Path) -> None:
    arena = make_arena(tmp_path)
    async with Host(arena).run_test(size=SIZE) as pilot:
        feed(arena)
        pane = arena.panes[1]
        pane.focus()
        pane.scroll("home")
        block = next(b for b in pane.transcript().blocks if isinstance(b, TextBlock))
        zoom_width = SIZE[0] - pane.styles.gutter.width
        for _ in range(100):  # the arena's next refresh tick renders it (a busy machine: later)
            await pilot.pause(0.05)
            ahead = block._layouts.get((zoom_width, id(pane.transcript()._ctx)))
            if ahead is not None and ahead.cache:
                break
        assert ahead is not None and len(ahead.cache) > 0  # the top and the end, rendered ahead
        rendered = len(ahead.cache)
        await pilot.press("enter", "end")
        await pilot.pause()
        assert pane.transcript().rendered_width == zoom_width
        assert len(ahead.cache) == rendered  # the zoom and its end drew from those lines
        # and they are what a fresh render gives
        fresh = TextBlock()
        fresh.append(block.text)
        ctx = pane.transcript()._ctx
        assert ctx is not None
        view = pane.transcript()
        last = [view._line(i) for i in range(view.line_count - 5, view.line_count)]
        assert last == fresh.lines(zoom_width, ctx)[-5:]


async def test_leaving_the_zoom_closes_the_find_box(tmp_path: Path) -> None:
    arena = make_arena(tmp_path)
    async with Host(arena).run_test(size=SIZE) as pilot:
        pane = await zoomed(pilot, arena)
        await pilot.press("slash", *"plum", "enter")
        await pilot.pause()
        bar = pane.query_one(FindBar)
        assert bar.is_open and str(bar.query_one("#find-count").render()) == "2/4"
        await pilot.press("enter")  # the pane has the keys: enter un-zooms
        await pilot.pause()
        assert arena.zoomed is None and not bar.is_open
        assert pane.transcript()._needle == ""  # no highlight left in the grid
