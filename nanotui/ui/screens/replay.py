"""The arena replaying a stored run: the same panes, counters and statuses as live, fed
from the history's events on their recorded times (:mod:`nanotui.ui.replay_player`).

A replay is an arena whose run never starts: its providers refuse every request, it has no
history to write to, and it never posts ``RunFinished`` (the app would judge the run). The
player hands each stored event to the arena's own sink, the path a live event takes, so the
panes cannot show a replay differently from the run. The panes' clock is the player's run
time: their seconds and TTFT are the run's, at any speed, and stand still while paused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual import work
from textual.binding import Binding
from textual.markup import escape

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.agent.provider import Provider
from nanotui.engine.errors import ConfigError
from nanotui.engine.events import AgentFinished, Event
from nanotui.engine.results import RunResult
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.live import LiveBoard
from nanotui.engine.run.plan import RunPlan
from nanotui.ui.replay_player import ReplayPlayer, Sleep
from nanotui.ui.screens.arena import ArenaScreen
from nanotui.ui.widgets.arena_lines import StatusLine

UNTIMED_NOTE = ("This run was recorded before nanotui kept event times: it replays at a steady pace "
                "(a turn a second), so the panes' seconds are not the run's (its results have them).")


class NoProviders:
    """The registry of a replay: nothing is ever sent to a model."""

    def create(self, spec: ModelSpec) -> Provider:
        raise ConfigError(f"{spec.spec}: a replay sends nothing to any model")

    def preload(self, specs: list[ModelSpec]) -> None:
        pass

    def check_ready(self, spec: ModelSpec) -> None:
        pass


def replay_plan(run: RunResult) -> RunPlan:
    """Enough of a plan for the arena to lay out ``run``'s panes (it is never run)."""
    specs = []
    for a in run.agents:
        provider, _, model = a.model.partition(":")
        specs.append(ModelSpec(name=a.model, provider=provider, model=model or a.model, display_name=a.display_name))
    return RunPlan(run.task, AgentTask(run.task.prompt), specs, Limits())


class ReplayScreen(ArenaScreen):
    """Replays ``run`` from its stored ``events`` at ``speed`` (``None``: as fast as the UI
    takes them). ``clock`` and ``sleep`` are the player's real clock and sleep (tests)."""

    # Listed with the arena's: a key bound here replaces the arena's binding of that key, and
    # the key line shows them in this order.
    BINDINGS = [
        # space pauses while playing and plays while paused: one of the two is enabled at a time
        Binding("space", "pause", "Pause", id="replay.pause"),
        Binding("space", "play", "Play", id="replay.play"),
        Binding("n", "step_turn", "Next turn", id="replay.step"),
        Binding("plus,equals_sign", "faster", "Speed", key_display="+/-", id="replay.faster"),
        Binding("minus", "slower", "Slower", show=False, id="replay.slower"),
        *ArenaScreen.BINDINGS,
    ]

    def __init__(self, run: RunResult, events: Sequence[Event], *, speed: float | None = 1.0,
                 clock: Callable[[], float] | None = None, sleep: Sleep | None = None, **kwargs: Any) -> None:
        player_args: dict[str, Any] = {"speed": speed}
        if clock is not None:
            player_args["clock"] = clock
        if sleep is not None:
            player_args["sleep"] = sleep
        self.player = ReplayPlayer(events, **player_args)
        # Explicit providers keep the run out of the agent process; no store: nothing is written.
        super().__init__(replay_plan(run), store=None, providers=NoProviders(), clock=self.player.now, **kwargs)
        self.player.on_pause = self._changed  # a step ends paused: the status and keys say so
        self.stored = run
        self.run_id = run.run_id
        self.agent_ids = [a.agent_id for a in run.agents]
        self.board = LiveBoard()
        for a in run.agents:
            self.board.add(a.agent_id, a.model, a.display_name)

    # -- the replay ------------------------------------------------------------------------

    @work(exclusive=True, group="arena-run", exit_on_error=False)
    async def _run(self) -> None:
        if not self.player.timed and self.player.cues:
            self.notify(UNTIMED_NOTE, title="Replay", timeout=10)
        await self.player.play(self._on_event)
        # An agent the run never finished (an interrupted run) ends as the history has it.
        by_id = {a.agent_id: a for a in self.stored.agents}
        for agent_id, live in self.board.agents.items():
            if not live.done and agent_id in by_id:
                self._on_event(AgentFinished(agent_id, by_id[agent_id]))
        self.flush_all()
        self.result = self.stored  # the arena's "done"; RunFinished is never posted
        self._refresh_status()
        self._refresh_keys()
        how = "interrupted" if self.stored.interrupted else "finished"
        self.notify(f"Replay over: the run {how} here. Press r for its results.", title="Replay", timeout=6)

    def _refresh_status(self, now: float | None = None) -> None:
        agents = self.board.agents.values()
        running = sum(1 for a in agents if not a.done and a.status != "queued")
        finished = sum(1 for a in agents if a.done)
        task = self.plan.task_ref
        title = (task.id or "ad-hoc prompt") + (f" · {task.title}" if task.title else "")
        counts = f"{len(self.agent_ids)} agents: {running} running · {finished} done"
        state = escape(self.player.state)
        if self.player.paused:
            state = f"[$warning]{state}[/]"
        if not self.player.timed:
            state += " · steady pace (no times recorded)"
        tail = ""
        if self.done:
            status = str(self.stored.extra.get("status") or ("interrupted" if self.stored.interrupted else "finished"))
            look = "$warning" if self.stored.interrupted else "$success"
            tail = f"  run [{look}]{escape(status)}[/] — r: results"
        self.query_one("#arena-status", StatusLine).show(f"[b]{escape(title)}[/b]  {state}  {counts}{tail}")

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cancel_agent", "cancel_run", "interrupt"):
            return False  # nothing runs: there is nothing to cancel
        if action == "results":
            return True  # the stored results exist from the start
        if action == "leave":
            return self.zoomed is None
        if action == "step_turn":
            return not self.player.over
        if action == "pause":
            return not self.player.over and not self.player.paused
        if action == "play":
            return not self.player.over and self.player.paused
        return super().check_action(action, parameters)

    def _changed(self) -> None:
        self._refresh_status()
        self._refresh_keys()

    def action_pause(self) -> None:
        self.player.pause()
        self._changed()

    def action_play(self) -> None:
        self.player.resume()
        self._changed()

    def action_step_turn(self) -> None:
        self.player.step()
        self._changed()

    def action_faster(self) -> None:
        self.player.faster()
        self._changed()

    def action_slower(self) -> None:
        self.player.slower()
        self._changed()

    def action_results(self) -> None:
        """The stored run's results and its stored verdict; a replay never judges."""
        show = getattr(self.app, "show_results", None)
        if show is not None:
            show(self.stored, stored=True)
        else:
            self.post_message(self.ShowResults(self.stored))
