"""The home screen: task ladder with filter and preview, roster readiness and toggles, cost
estimates, settings remembered; snapshots at 160x48.

Snapshots leave out the on-device entry: its readiness depends on what this machine has
installed (the [local] extra, assembled files), which would make the picture vary between
machines. Everything else is the shipped roster and task library.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nanotui.engine.roster.roster_file import Roster, load_roster
from nanotui.ui.app import NanotuiApp
from nanotui.ui.screens.home import HomeScreen
from nanotui.ui.settings import UISettings, load_settings, save_settings, settings_path
from nanotui.ui.widgets.roster_list import RosterTable
from nanotui.ui.widgets.task_list import TaskTable
from nanotui.ui.widgets.task_preview import TaskPreview
from tests.servers import base
from tests.servers.ollama_server import OllamaServer
from tests.servers.openai_server import OpenAIServer

SIZE = (160, 48)
# Readiness names the Ollama address, so the snapshot's server listens on a fixed port.
SNAPSHOT_OLLAMA_PORT = 47_311
CLOSED_PORT_HOST = "http://127.0.0.1:1"  # nothing listens on port 1: "not reachable" at once


class FixedPortOllama(OllamaServer):
    def __init__(self, port: int) -> None:
        super().__init__()
        self._httpd.server_close()
        self._httpd = base._Server(("127.0.0.1", port), base._Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)


@contextlib.contextmanager
def port_lock(port: int) -> Iterator[None]:
    """Another test run on this machine (a second checkout, a helper) may want the same
    fixed port at the same moment: take turns instead of failing to bind."""
    import fcntl

    with open(Path(tempfile.gettempdir()) / f"nanotui-test-port-{port}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def roster_without_local() -> Roster:
    roster = load_roster()
    return Roster({k: v for k, v in roster.entries.items() if v.provider != "local"}, roster.sources)


async def settled(pilot) -> None:
    """Wait until readiness and cost estimates have filled the roster."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        screen = app.screen
        if isinstance(screen, HomeScreen):
            roster = screen.roster
            done = all(r.ready is not None for r in roster.readiness.values()) and len(roster.costs) == len(roster.order)
            if done:
                break
        assert loop.time() < deadline, "home screen never settled"
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", CLOSED_PORT_HOST)


@pytest.fixture
def all_ready(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with port_lock(SNAPSHOT_OLLAMA_PORT), OpenAIServer() as openai, FixedPortOllama(SNAPSHOT_OLLAMA_PORT) as ollama:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-loopback-key-0000")
        monkeypatch.setenv("OPENAI_BASE_URL", openai.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-loopback-key-0000")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")  # readiness never calls it
        monkeypatch.setenv("OLLAMA_HOST", ollama.host)
        yield


# -- snapshots ------------------------------------------------------------------------------


def test_snapshot_home_no_keys(snap_compare, no_ollama) -> None:
    """No API keys, no Ollama: every model says why it is not ready and what to do."""
    assert snap_compare(NanotuiApp(roster=roster_without_local()), terminal_size=SIZE, run_before=settled)


def test_snapshot_home_all_ready(snap_compare, all_ready) -> None:
    """Keys set and Ollama answering: all ready; three picked, with first-turn cost estimates."""

    async def pick_three(pilot) -> None:
        await settled(pilot)
        await pilot.press("tab", "tab")  # tasks -> preview -> models
        await pilot.press("down", "space", "down", "down", "down", "down", "down", "space", "down", "space")
        await pilot.pause()

    assert snap_compare(NanotuiApp(roster=roster_without_local()), terminal_size=SIZE, run_before=pick_three)


def test_snapshot_home_filtered_light_theme(snap_compare, no_ollama) -> None:
    """The remembered theme (nanotui-light) and a typed filter with its preview."""
    save_settings(UISettings(theme="nanotui-light"))

    async def filter_tasks(pilot) -> None:
        await settled(pilot)
        await pilot.press(*"file")
        await pilot.pause()

    assert snap_compare(NanotuiApp(roster=roster_without_local()), terminal_size=SIZE, run_before=filter_tasks)


# -- behaviour ------------------------------------------------------------------------------


async def test_typing_filters_the_ladder_and_preview_follows(no_ollama) -> None:
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        table = home.query_one(TaskTable)
        everything = table.row_count
        assert everything >= 10
        await pilot.press(*"needle")
        assert table.row_count == 1
        assert home.picker.highlighted.id == "log-needle"
        assert home.query_one(TaskPreview).shown.id == "log-needle"
        await pilot.press("backspace")
        assert table.filter_text == "needl"
        await pilot.press(*"zzz")
        assert table.row_count == 0
        assert home.picker.highlighted is None
        assert home.query_one(TaskPreview).shown is None
        await pilot.press("escape")  # clears the filter
        assert table.row_count == everything
        # Letters went to the filter, never to the roster's bindings.
        assert home.roster.selected_names == []


async def test_space_toggles_and_a_selects_only_ready_models(all_ready) -> None:
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        home = app.screen
        roster = home.query_one(RosterTable)
        roster.focus()
        await pilot.press("space")
        assert roster.selected_names == ["gpt-5"]
        await pilot.press("space")
        assert roster.selected_names == []
        await pilot.press("a")
        ready = [n for n in roster.order if roster.readiness[n].ready]
        assert roster.selected_names == ready
        assert "gpt-oss-20b" in ready and "gpt-oss-120b" in ready
        await pilot.press("n")
        assert roster.selected_names == []
        # Every selection change is saved at once.
        await pilot.press("space")
        assert load_settings()[0].models == ["gpt-5"]


async def test_a_skips_models_that_are_not_ready(no_ollama, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-loopback-key-0000")
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        roster = app.screen.query_one(RosterTable)
        roster.focus()
        await pilot.press("a")
        assert roster.selected_names == ["gpt-5", "gpt-5-mini", "gpt-5-nano"]
        assert roster.readiness["claude-3-haiku"].state == "missing key"
        assert "ANTHROPIC_API_KEY" in roster.readiness["claude-3-haiku"].action
        assert roster.readiness["gpt-oss-20b"].state == "not reachable"
        assert "ollama serve" in roster.readiness["gpt-oss-20b"].action


async def test_a_plan_error_is_a_notification_not_a_crash(no_ollama) -> None:
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        home = app.screen
        await pilot.press("enter")  # choose the first task, focus the models
        await pilot.press("enter")  # nothing selected
        assert any("Select at least one model" in n.message for n in app._notifications)
        before = len(app._notifications)
        await pilot.press("space", "enter")  # GPT-5 without OPENAI_API_KEY
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is home
        # One thing said: the run cannot start (not also "their panes will show the error").
        [said] = list(app._notifications)[before:]
        assert "OPENAI_API_KEY is not set" in said.message and said.title == "Cannot start the run"


async def test_last_selection_and_theme_are_restored(no_ollama) -> None:
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"settings", "enter")
        chosen = app.screen.picker.highlighted.id
        await pilot.press("down", "space", "down", "space")
        app.theme = "nanotui-ember"
        await pilot.pause()
    saved = json.loads(settings_path().read_text())
    assert saved == {"theme": "nanotui-ember", "task_id": chosen, "models": ["gpt-5-mini", "gpt-5-nano"]}

    again = NanotuiApp(roster=roster_without_local())
    async with again.run_test(size=SIZE) as pilot:
        home = again.screen
        assert again.theme == "nanotui-ember"
        assert home.picker.highlighted.id == chosen
        assert home.roster.selected_names == ["gpt-5-mini", "gpt-5-nano"]


async def test_broken_settings_file_is_kept_aside_and_defaults_used(no_ollama) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.settings == UISettings()
        assert any("not valid settings" in n.message for n in app._notifications)
        assert app.theme == "nanotui-dark"
    assert (path.parent / "ui.json.broken").read_text() == "{not json"


async def test_unknown_theme_in_settings_falls_back(no_ollama) -> None:
    save_settings(UISettings(theme="no-such-theme"))
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nanotui-dark"
        assert any("no-such-theme" in n.message for n in app._notifications)


async def test_palette_offers_new_run_history_export_and_themes(no_ollama) -> None:
    from nanotui.ui.commands import NanotuiCommands

    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:
        provider = NanotuiCommands(app.screen)
        found = [hit.text async for hit in provider.discover()]
        assert found == ["New run", "History", "Export report"]
        themes = [str(hit.text) async for hit in provider.search("theme light")]
        assert "Theme: nanotui-light" in themes
        # Through the real palette: ctrl+p, type, enter.
        await pilot.press("ctrl+p")
        await pilot.press(*"Theme: nanotui-ember")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "nanotui-ember"
        await pilot.press("ctrl+p", *"export report")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert any("No run to export yet" in n.message for n in app._notifications)


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    save_settings(UISettings("nanotui-light", "basic-read", ["gpt-5"]), path)
    assert load_settings(path) == (UISettings("nanotui-light", "basic-read", ["gpt-5"]), None)
    path.write_text(json.dumps({"models": "gpt-5"}))
    settings, problem = load_settings(path)
    assert settings == UISettings() and "'models' must be a list" in problem


async def test_a_failed_background_task_is_a_notification_not_a_crash(no_ollama) -> None:
    app = NanotuiApp(roster=roster_without_local())
    async with app.run_test(size=SIZE) as pilot:

        def boom() -> None:
            raise RuntimeError("disk on fire")

        worker = app.run_worker(boom, name="probe", thread=True, exit_on_error=False)
        while not worker.is_finished:
            await pilot.pause(0.02)
        await pilot.pause()
        assert any(n.title == "probe failed" and "disk on fire" in n.message for n in app._notifications)
        assert app.is_running and isinstance(app.screen, HomeScreen)


async def test_one_broken_task_file_is_one_notification(no_ollama, isolated_cwd: Path) -> None:
    from nanotui.engine.tasks.library import load_library

    folder = isolated_cwd / "tasks"
    folder.mkdir()
    (folder / "broken.toml").write_text('level = "high"\nread_only = "yes"\nprompt = 3\n')
    library = load_library()
    assert len([p for p in library.problems if p.startswith("tasks/broken.toml")]) >= 3
    app = NanotuiApp(roster=roster_without_local(), library=library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        left_out = [n for n in app._notifications if n.title == "Task file left out"]
        assert len(left_out) == 1 and "tasks/broken.toml" in left_out[0].message
        assert "more: nanotui tasks validate" in left_out[0].message


async def test_garbage_collection_is_back_on_after_the_first_frame(no_ollama) -> None:
    """`nanotui` starts the app with the collector off (cli.main): the first frame turns it
    back on, or a long session would never collect its cycles."""
    import gc

    gc.disable()
    try:
        app = NanotuiApp(roster=roster_without_local())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


async def test_a_screen_opened_before_home_is_up_goes_above_it(no_ollama, tmp_path: Path) -> None:
    """Home goes up just after the app's mount; a screen opened before that (a key typed
    during the start, a script) still opens above Home, not beneath it."""
    from nanotui.engine.history.store import RunStore
    from nanotui.ui.screens.history import HistoryScreen

    app = NanotuiApp(roster=roster_without_local(), store=RunStore(tmp_path / "history.db"))
    seen: list[list[type]] = []

    async def early(pilot) -> None:  # auto_pilot starts as the app is ready, before Home is up
        seen.append([type(s) for s in app.screen_stack[1:]])
        app.action_history()
        await pilot.pause()
        seen.append([type(s) for s in app.screen_stack[1:]])
        await pilot.press("escape")
        seen.append([type(s) for s in app.screen_stack[1:]])
        app.exit()

    await app.run_async(headless=True, size=SIZE, auto_pilot=early)
    assert seen == [[], [HomeScreen, HistoryScreen], [HomeScreen]]
