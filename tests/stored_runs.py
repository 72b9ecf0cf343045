"""Building runs and verdicts by hand, and putting them in a history, for tests that do not
need a model at all (grading, advisor, report layout, history commands)."""

from __future__ import annotations

from pathlib import Path

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.history.store import RunStore
from nanotui.engine.results import AgentResult, CheckResult, RunResult, TaskRef, ToolCallRecord
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.run.plan import RunPlan
from nanotui.engine.usage import Usage
from nanotui.engine.verdict.verdict import Agreement, CandidateGrade, JurorVerdict, Verdict


def agent(
    agent_id: str,
    model: str = "openai:gpt-5-mini",
    *,
    wall_s: float = 10.0,
    cost_usd: float | None = 0.01,
    status: str = "ok",
    checks: tuple[bool, ...] = (),
    answer: str = "done",
    **fields,
) -> AgentResult:
    a = AgentResult(agent_id, model, fields.pop("display_name", model.split(":", 1)[1]), status=status,
                    final_answer=answer, wall_s=wall_s, cost_usd=cost_usd,
                    usage=fields.pop("usage", Usage(input_tokens=1000, output_tokens=100)), **fields)
    a.checks = [CheckResult(f"check {i + 1}", ok, "" if ok else "expected something else") for i, ok in enumerate(checks)]
    return a


def run_of(*agents: AgentResult, run_id: str = "20260101-000000-aaaaaa", task_id: str | None = "basic-read",
           prompt: str = "Read the file and answer.") -> RunResult:
    return RunResult(run_id, TaskRef(task_id, prompt, "Read a fact" if task_id else None), list(agents),
                     "2026-01-01T00:00:00+00:00", "2026-01-01T00:01:00+00:00")


def verdict_for(run: RunResult, grades: dict[str, str | None], status: str = "ok") -> Verdict:
    """A single judge's verdict (one juror, one pass) with these grades."""
    judge = "anthropic:claude-opus-4-1"
    usage = Usage(input_tokens=5000, output_tokens=300)
    return Verdict(
        judge=judge,
        status=status,
        candidates={aid: CandidateGrade(aid, f"Candidate {chr(65 + i)}", g, f"rationale for {aid}", {judge: g})
                    for i, (aid, g) in enumerate(sorted(grades.items()))},
        jurors=[JurorVerdict(judge, status, 1, dict(grades), [dict(grades)], usage=usage, cost_usd=0.1, attempts=1)],
        agreement=Agreement(reason="one juror: agreement needs two or more"),
        usage=usage,
        cost_usd=0.1,
        attempts=1,
        seed=f"{run.run_id}:judge",
        created_at="2026-01-01T00:02:00+00:00",
    )


def spec_of(model: str, display_name: str) -> ModelSpec:
    provider, _, name = model.partition(":")
    return ModelSpec(name=model, provider=provider, model=name, display_name=display_name)


def store_run(store: RunStore, run: RunResult, *, trials: int = 1, rubric: str | None = None,
              finish: bool = True, workspace: Path | None = None) -> RunResult:
    """Record ``run`` the way ``nanotui run`` does: begin, every agent finishing, the end."""

    class _Task:
        """Just enough of nanotui.engine.tasks.library.Task for the store."""

        def __init__(self, rubric: str) -> None:
            self.rubric = rubric

        def render_rubric(self, overrides: dict[str, str] | None = None) -> str:
            return self.rubric

    task = _Task(rubric) if rubric is not None else None
    plan = RunPlan(run.task, AgentTask(run.task.prompt, workspace), [spec_of(a.model, a.display_name) for a in run.agents],
                   Limits(max_turns=6, timeout_s=60), task)
    store.begin_run(run.run_id, plan.task_ref, plan.specs, plan.describe(trials=trials), started_at=run.started_at,
                    agent_ids=[a.agent_id for a in run.agents])
    for a in run.agents:
        store.finish_agent(a)
    if finish:
        store.finish_run(run)
    return run


def tool(name: str, ok: bool = True, **arguments) -> ToolCallRecord:
    return ToolCallRecord(f"call_{name}", name, arguments, ok, 120, "" if ok else "Error: no such file")
