"""The nanotui Textual app: home (task + models) → arena (live panes) → results, and history.

Startup is kept light: the SDKs, the price data and the tokenizer are imported only by the
workers that need them, never on the way to the first frame. Once the first screen is up the
app starts its agent process (``ui/agent_process.py``), which prepares the SDKs of the
roster's providers on the second core, so the first run's requests go out at once.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from nanotui.ui.commands import NanotuiCommands
from nanotui.ui.judging import JudgeUpdated, Judging
from nanotui.ui.settings import load_settings, save_settings

if TYPE_CHECKING:
    from nanotui.engine.events import Event
    from nanotui.engine.results import RunResult
    from nanotui.engine.roster.roster_file import Roster
    from nanotui.engine.roster.spec import ModelSpec
    from nanotui.engine.run.plan import RunPlan
    from nanotui.engine.tasks.library import TaskLibrary
    from nanotui.ui.agent_process import AgentProcess
    from nanotui.ui.suite_run import SuiteRun

DEFAULT_THEME = "nanotui-dark"  # shipped in themes/; Textual's own default if it is missing


@dataclass(frozen=True)
class Replay:
    """A stored run to open the app on (``nanotui replay``), loaded before the screen is taken."""

    run: RunResult
    events: list[Event]
    speed: float | None  # None: as fast as the UI takes them


class NanotuiApp(App[None]):
    TITLE = "nanotui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {NanotuiCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("ctrl+c", "help_quit", show=False, system=True, id="app.help_quit"),
        Binding("ctrl+n", "new_run", "New run", id="app.new_run"),
        Binding("ctrl+o", "history", "History", id="app.history"),
    ]

    def __init__(
        self,
        *,
        settings_file: Path | None = None,
        store: Any = None,
        roster: Roster | None = None,
        library: TaskLibrary | None = None,
        replay: Replay | None = None,
    ) -> None:
        """Everything defaults to the user's own files; tests pass their own. ``replay``:
        open straight on the arena replaying that stored run (``nanotui replay``)."""
        super().__init__()
        self._replay = replay
        self._settings_file = settings_file
        self._roster = roster
        self._library = library
        self.settings, settings_problem = load_settings(settings_file)
        self._startup_problems: list[str] = [settings_problem] if settings_problem else []
        self._store = store
        self._store_error: str | None = None
        self.last_run: RunResult | None = None
        self.judging = Judging(self)
        self._agent_process: AgentProcess | None = None
        self._roster_specs: list[ModelSpec] = []
        self._home: Screen[None] | None = None  # Home, until it is pushed (on_mount says when)
        self._install_themes()

    # -- themes and settings -------------------------------------------------------------

    def _install_themes(self) -> None:
        from nanotui.ui.themes import load_themes

        themes, problems = load_themes()
        self._startup_problems += problems
        for theme in themes:
            self.register_theme(theme)
        wanted = self.settings.theme
        if wanted and wanted not in self.available_themes:
            self._startup_problems.append(f"theme {wanted!r} is not installed; using the default theme")
            wanted = None
        wanted = wanted or (DEFAULT_THEME if DEFAULT_THEME in self.available_themes else None)
        if wanted:
            self.theme = wanted

    def save_settings(self) -> None:
        try:
            save_settings(self.settings, self._settings_file)
        except OSError as exc:
            self.notify(f"Could not save settings: {exc}", severity="warning")

    def _theme_changed(self, theme: Any) -> None:
        if self.settings.theme != theme.name:
            self.settings.theme = theme.name
            self.save_settings()

    # -- screens -------------------------------------------------------------------------

    def on_mount(self) -> None:
        from nanotui.engine.roster.roster_file import load_roster
        from nanotui.engine.tasks.library import load_library
        from nanotui.ui.screens.home import HomeScreen

        for problem in self._startup_problems:
            self.notify(problem, severity="warning", timeout=10)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        roster = self._roster or load_roster()
        library = self._library or load_library()
        # One notification per file left out, however many problems it has.
        by_file: dict[str, list[str]] = {}
        for problem in library.problems:
            by_file.setdefault(problem.partition(": ")[0], []).append(problem)
        for lines in by_file.values():
            more = f"\n(+{len(lines) - 1} more: nanotui tasks validate)" if len(lines) > 1 else ""
            self.notify(lines[0] + more, title="Task file left out", severity="warning", timeout=10)
        self._roster_specs = list(roster.entries.values())
        # Home goes up after the app's mount: a screen pushed inside it is laid out, drawn and
        # the frame dropped (Textual holds repaints until the app is mounted), then laid out
        # and drawn again; pushed after it, it is drawn once.
        self._home = HomeScreen(list(library.tasks), list(roster.entries.values()))
        self.call_later(self._open_home)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        # A screen opened before Home went up (a key typed during the start, a test) goes
        # above it, as it would have a moment later.
        if self._home is not None and screen is not self._home:
            self._open_home()
        return super().push_screen(screen, *args, **kwargs)

    def _open_home(self) -> None:
        home, self._home = self._home, None
        if home is None:
            return  # already up: a screen opened first put it there
        self.push_screen(home)
        self.call_after_refresh(self._after_first_frame)
        if self._replay is not None:  # a replay needs no agents; a run from home starts its own
            self.replay_run(self._replay.run, self._replay.events, speed=self._replay.speed)
            return
        # After the first frame: a child interpreter importing the SDKs competes for the CPU
        # with drawing the first screen (on a busy 2-core machine it made the ladder late).
        self.call_after_refresh(self._prepare_agents)

    def _after_first_frame(self) -> None:
        """The CLI starts the app with garbage collection off (``cli.main``): turn it on,
        with what the start made (modules, classes, Home's widgets) frozen out of its scans."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    # -- the agent process ---------------------------------------------------------------

    @work(thread=True, exclusive=True, group="prepare-agents", exit_on_error=False)
    def _prepare_agents(self) -> None:
        """Start a warm agent process for the next run (spawning costs the UI nothing)."""
        from nanotui.ui.agent_process import AgentProcess

        if self._agent_process is None or not self._agent_process.alive:
            self._agent_process = AgentProcess(self._roster_specs)

    def take_agent_process(self, specs: list[ModelSpec]) -> AgentProcess | None:
        """The warm agent process, for a run of ``specs`` (the arena calls this). It serves
        one run; the next one is started when that run ends."""
        from nanotui.ui.agent_process import AgentProcess

        process, self._agent_process = self._agent_process, None
        if process is None or process.used or not process.alive:
            process = AgentProcess(specs)
        return process

    def on_unmount(self) -> None:
        if self._agent_process is not None and not self._agent_process.used:
            self._agent_process.close()  # an idle child goes now, not at the interpreter's exit
            self._agent_process = None

    @property
    def store(self) -> Any:
        """The run history, opened on first use (it is not needed for the first frame).
        ``None`` when it cannot be opened: runs still work, they are just not kept."""
        if self._store is None and self._store_error is None:
            from nanotui.engine.errors import NanotuiError
            from nanotui.engine.history.store import RunStore

            try:
                self._store = RunStore()
            except NanotuiError as exc:
                self._store_error = str(exc)
                self.notify(f"{exc}. Runs will not be kept.", title="No run history", severity="error", timeout=15)
        return self._store

    def running_arena(self) -> Screen[Any] | None:
        """The arena whose run is still going, if any (one run at a time). An arena whose
        run worker died (already reported) does not count: it must not block new runs."""
        from textual.worker import WorkerState

        from nanotui.ui.screens.arena import ArenaScreen
        from nanotui.ui.screens.replay import ReplayScreen

        live = (WorkerState.PENDING, WorkerState.RUNNING)
        for screen in self.screen_stack:
            if isinstance(screen, ReplayScreen):
                continue  # a replay runs nothing
            if isinstance(screen, ArenaScreen) and not screen.done and any(
                w.node is screen and w.state in live for w in self.workers
            ):
                return screen
        return None

    def start_run(self, plan: RunPlan) -> None:
        from nanotui.ui.screens.arena import ArenaScreen

        if self.running_arena() is not None:
            self.notify("A run is already in progress.", severity="warning")
            return
        self.push_screen(ArenaScreen(plan, store=self.store))

    def start_suite(self, plans: list[RunPlan], *, name: str | None = None) -> None:
        """Several tasks one after another, each in its own arena, linked as one suite."""
        from nanotui.engine.run.suite import new_suite_id
        from nanotui.ui.screens.arena import ArenaScreen
        from nanotui.ui.suite_run import SuiteRun

        if self.running_arena() is not None:
            self.notify("A run is already in progress.", severity="warning")
            return
        suite = SuiteRun(new_suite_id(), name, plans)
        store = self.store
        if store is not None:
            try:
                store.begin_suite(suite.suite_id, name, suite.spec())
            except Exception as exc:  # the runs still go on; only the link is lost
                self.notify(f"History: could not record the suite ({exc}).", severity="error", timeout=10)
        self.push_screen(ArenaScreen(plans[0], store=store, suite=suite))

    def _suite_task_done(self, suite: SuiteRun, run: RunResult) -> None:
        """One task of a suite is over: start the next one in a new arena, or end the suite."""
        from nanotui.ui.screens.arena import ArenaScreen

        if suite.task_done(run.run_id, len(run.agents), run.interrupted):
            arena = ArenaScreen(suite.plans[suite.index], store=self.store, suite=suite)
            # The finished task's arena gives way to the next (History etc. stay where they are).
            if isinstance(self.screen, ArenaScreen):
                self.switch_screen(arena)
            else:
                self.push_screen(arena)
            return
        if self.store is not None:
            try:
                self.store.finish_suite(suite.suite_id, suite.status)
            except Exception as exc:
                self.notify(f"History: could not save the suite ({exc}).", severity="error", timeout=10)
        self.notify(f"Suite {suite.status}: press r for the leaderboard.", title="nanotui", timeout=6)

    def on_arena_screen_run_finished(self, message: Any) -> None:
        """A fresh run is judged as soon as it finishes (not a cancelled one: press j for it,
        as ``nanotui run`` does not judge an interrupted run either)."""
        run = message.run
        self.last_run = run
        self._prepare_agents()  # a warm agent process for the next run
        if not run.interrupted and run.agents:
            from nanotui.ui.screens.results import stored_in

            self.judging.start(run, message.rubric, stored_in(self.store, run))
        from nanotui.ui.screens.arena import ArenaScreen

        # Here, not in the arena: the arena's message has reached the app before it goes away.
        for screen in self.screen_stack:
            if isinstance(screen, ArenaScreen) and screen.run_id == run.run_id and screen.suite is not None:
                self._suite_task_done(screen.suite, run)

    def on_judge_updated(self, message: JudgeUpdated) -> None:
        from nanotui.ui.screens.arena import ArenaScreen
        from nanotui.ui.screens.leaderboard import LeaderboardScreen
        from nanotui.ui.screens.results import ResultsScreen

        run_id = message.job.run_id
        for screen in self.screen_stack:
            if isinstance(screen, ResultsScreen | ArenaScreen | LeaderboardScreen):
                shown = screen.run_ids if isinstance(screen, LeaderboardScreen) else {screen.run_id}
                if run_id in shown:
                    screen.judge_updated(message.job)

    def on_arena_screen_show_results(self, message: Any) -> None:
        self.show_results(message.run)

    def show_results(self, run: RunResult, *, stored: bool = False) -> None:
        from nanotui.ui.screens.results import ResultsScreen

        self.last_run = run
        # A fresh run is judged at once when the judge's key is set; an old one from the
        # history only on request (j), so browsing never spends money.
        self.push_screen(ResultsScreen(run, store=self.store, auto_judge=not stored))

    def replay_run(self, run: RunResult, events: list[Event], *, speed: float | None = 1.0) -> None:
        """The arena replaying a stored run from its events (nothing is sent or recorded)."""
        from nanotui.ui.screens.replay import ReplayScreen

        self.last_run = run
        self.push_screen(ReplayScreen(run, events, speed=speed))

    def show_suite(self, suite_id: str, *, title: str | None = None) -> None:
        """A stored suite's Leaderboard (from History, or after a suite ran in the arena)."""
        from nanotui.engine.errors import NanotuiError
        from nanotui.ui.screens.leaderboard import LeaderboardScreen
        from nanotui.ui.suites import stored_suite, suite_title

        store = self.store
        if store is None:
            self.notify(self._store_error or "the run history is not available", severity="error")
            return
        try:
            outcome = stored_suite(store, suite_id)
            name = store.load_suite(suite_id).name
        except NanotuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.push_screen(LeaderboardScreen(outcome, title=title or suite_title(name, outcome.tasks)))

    def on_worker_state_changed(self, event: Any) -> None:
        """One place for background failures: a notification, never a crash. The arena
        and the results screen's judge report their own."""
        from textual.worker import WorkerState

        if event.state != WorkerState.ERROR or event.worker.group == "judge":
            return
        arena = sys.modules.get("nanotui.ui.screens.arena")  # loaded once a run has started
        if arena is not None and isinstance(event.worker.node, arena.ArenaScreen):
            return
        from nanotui.engine.secrets import redact

        error = event.worker.error
        title = f"{event.worker.name or 'background task'} failed"
        self.notify(redact(f"{type(error).__name__}: {error}"), title=title, severity="error", timeout=10)

    # -- actions -------------------------------------------------------------------------

    def action_new_run(self) -> None:
        from nanotui.ui.screens.home import HomeScreen

        if self.running_arena() is not None:
            self.notify("A run is in progress: let it finish or cancel it on the arena first.", severity="warning")
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def action_history(self) -> None:
        from nanotui.ui.screens.history import HistoryScreen

        if isinstance(self.screen, HistoryScreen):
            return
        store = self.store
        if store is None:
            self.notify(self._store_error or "the run history is not available", title="No run history",
                        severity="error")
            return
        self.push_screen(HistoryScreen(store))

    def action_export_report(self) -> None:
        from nanotui.ui.screens.results import ResultsScreen, export_report, stored_in

        if isinstance(self.screen, ResultsScreen):
            self.screen.action_export()
            return
        if self.last_run is None:
            self.notify("No run to export yet: run a task or open one from History.", severity="warning")
            return
        export_report(self, self.last_run, stored_in(self.store, self.last_run))


def run_app(replay: Replay | None = None) -> int:
    """Entry point for `nanotui` with no subcommand (and `nanotui replay`). A broken roster or
    settings folder is a one-line ConfigError from here (the CLI prints it), before the screen
    is taken over."""
    from nanotui.engine.roster.roster_file import load_roster
    from nanotui.engine.tasks.library import load_library

    app = NanotuiApp(roster=load_roster(), library=load_library(), replay=replay)
    app.run()
    for job in app.judging.unfinished:
        print(f"nanotui: the judge of run {job.run_id} had not finished; its grades are from the checks until you "
              f"judge it: nanotui report {job.run_id} --judge SPEC", file=sys.stderr)
    return app.return_code or 0
