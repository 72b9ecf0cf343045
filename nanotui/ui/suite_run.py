"""A suite in the app: its tasks run one after another, each task in an arena of its own
(new panes per task), every run linked to one suite entry in the history; at the end the
arena's r opens the suite's Leaderboard.

The arena runs each task with the engine's ``RecordedRun`` (``suite_id`` set), and this
object records the suite's begin and end in the history as ``RecordedSuite`` does for the
CLI; the app judges each task's run as soon as it finishes, as it does for a single run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nanotui.engine.run.plan import RunPlan


@dataclass
class SuiteRun:
    suite_id: str
    name: str | None
    plans: list[RunPlan]
    index: int = 0  # the task running now
    agents_done_before: int = 0  # agents of the tasks before the one at ``index``
    status: str = "running"  # running | finished | interrupted
    run_ids: list[str] = field(default_factory=list)

    @property
    def total_agents(self) -> int:
        return sum(len(p.specs) for p in self.plans)

    @property
    def last(self) -> bool:
        return self.index == len(self.plans) - 1

    @property
    def over(self) -> bool:
        return self.status != "running"

    def progress(self, done_in_task: int) -> str:
        """``task 3/11 · 27 of 99 agents done``"""
        return (f"task {self.index + 1}/{len(self.plans)} · "
                f"{self.agents_done_before + done_in_task} of {self.total_agents} agents done")

    def spec(self) -> dict[str, Any]:
        """What the history keeps of the suite (the shape ``nanotui run`` stores)."""
        first = self.plans[0]
        return {"tasks": [p.task_ref.id for p in self.plans], "models": [s.spec for s in first.specs],
                "trials": 1}

    def task_done(self, run_id: str, agents: int, interrupted: bool) -> bool:
        """Count a finished task; True when another task should start."""
        self.run_ids.append(run_id)
        if interrupted:
            self.status = "interrupted"
            return False
        if self.last:
            self.status = "finished"
            return False
        self.index += 1  # the finished task's agents now count as "before" the next one
        self.agents_done_before += agents
        return True
