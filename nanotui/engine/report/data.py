"""Reports of a stored run: markdown that reads well on GitHub, and JSON with the same data.

Everything comes from the history (the run, its latest verdict, earlier runs of the same
task), nothing from "now", and everything is sorted, so regenerating a report gives the
same bytes. Secrets are masked once more on the way out.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nanotui.engine.history.codec import task_key
from nanotui.engine.report.markdown import render_markdown
from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.secrets import redact, scrub
from nanotui.engine.verdict.advisor import Advice, advise
from nanotui.engine.verdict.grading import (
    COST_FLOOR_USD,
    PASS_GRADE,
    RATIO_STEPS,
    SPEED_FLOOR_S,
    WEIGHTS,
    AgentGrades,
    grade_run,
    grading_note,
)
from nanotui.engine.verdict.trials import trial_stats

if TYPE_CHECKING:
    from nanotui.engine.history.store import RunStore
    from nanotui.engine.verdict.verdict import Verdict

REPORT_FORMAT = "nanotui-report/1"
FORMATS = ("md", "json")


# -- the data -------------------------------------------------------------------------------


def grading_method() -> dict[str, Any]:
    return {
        "grades": "S A B C D F (S best); points S=5 A=4 B=3 C=2 D=1 F=0",
        "performance": "the jury's grade, never above the checks-only grade when a check failed (capped); "
        "without a usable jury grade, the task's checks: all pass A, none F, otherwise round(4 x share passed) "
        "kept within D..B; an agent with no checks that did not finish is F; an agent cancelled by the user is "
        "not graded",
        "jury": "each juror grades blind, in a shuffled order and in its reverse (two passes): a candidate "
        "graded differently in the two orders gets the mean rounded down and is flagged; the jury's grade is "
        "the median of its jurors' grades (ties rounded down); a juror does not grade candidates of its own "
        "vendor when another juror can; failed jurors are left out; agreement is Krippendorff's alpha "
        "(ordinal), flagged below 0.67",
        "speed_and_cost": "ratio r = (x + floor) / (best + floor) against the best contender of the run "
        "(agents whose performance is not F); speed on working time (wall less queue and retry waits)",
        "ratio_steps": [[limit, grade] for limit, grade in RATIO_STEPS] + [[None, "F"]],
        "speed_floor_s": SPEED_FLOOR_S,
        "cost_floor_usd": COST_FLOOR_USD,
        "weights": dict(WEIGHTS),
        "overall": "weighted mean of the points (an unknown cost drops out), rounded half up, never above "
        "performance; F performance is F overall",
        "ranking": "overall grade, then working time, then cost",
        "pass": f"performance {PASS_GRADE} or better",
    }


def _agent_row(agent: AgentResult, g: AgentGrades, trial: int | None) -> dict[str, Any]:
    u = agent.usage
    return {
        "rank": g.rank,
        "agent_id": agent.agent_id,
        "model": agent.model,
        "display_name": agent.display_name,
        "trial": trial,
        "status": agent.status,
        "grades": g.to_dict(),
        "wall_s": round(agent.wall_s, 3),
        "working_s": round(agent.working_s, 3),
        "ttft_s": None if agent.ttft_s is None else round(agent.ttft_s, 3),
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "reasoning_tokens": u.reasoning_tokens,
        "cost_usd": agent.cost_usd,
        "checks_passed": sum(c.passed for c in agent.checks),
        "checks_total": len(agent.checks),
    }


def build_report(run: RunResult, verdict: Verdict | None = None, history: Advice | None = None) -> dict[str, Any]:
    """The report's data; ``history`` is the advisor's view over the task's stored runs."""
    grades = grade_run(run, verdict)
    by_id = {a.agent_id: a for a in run.agents}
    extra = run.extra
    plan = extra.get("plan", {})
    trials_of = extra.get("trials", {})
    trials = int(plan.get("trials") or 1)
    versions = dict(sorted(extra.get("versions", {}).items()))
    models: list[dict[str, str]] = []
    for a in run.agents:
        if not any(m["model"] == a.model for m in models):
            models.append({"model": a.model, "display_name": a.display_name})
    ranking = [_agent_row(by_id[g.agent_id], g, trials_of.get(g.agent_id) if trials > 1 else None) for g in grades]
    agents = []
    for g in grades:
        data = by_id[g.agent_id].to_dict()
        data["grades"] = g.to_dict()
        data["file_diffs"] = dict(sorted(data["file_diffs"].items()))
        agents.append(data)
    this_run = advise([(run, grades)])
    from nanotui.engine.agent.tool_defs import TOOL_DEFS

    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "run": {
            "run_id": run.run_id,
            "task": run.task.to_dict(),
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "status": extra.get("status", "interrupted" if run.interrupted else "finished"),
            "interrupted": run.interrupted,
            "trials": trials,
        },
        "models": models,
        "versions": versions,
        "price_source": versions.get("price_data"),
        "grading_note": grading_note(grades),
        "judge": verdict.to_dict() if verdict is not None else None,
        "ranking": ranking,
        "quality_vs_cost": this_run.to_dict(),
        "history": history.to_dict() if history is not None and len(history.runs) > 1 else None,
        "trials": [t.to_dict() for t in trial_stats(run, grades)] if trials > 1 else None,
        "agents": agents,
        "method": {
            "system_prompt": plan.get("system_prompt"),
            "limits": plan.get("limits", {}),
            "tools": [{"name": t.name, "parameters": list(t.parameters.get("properties", {}))} for t in TOOL_DEFS],
            "rubric": plan.get("rubric"),
            "variables": plan.get("variables", {}),
            "workspace": plan.get("workspace"),
            "read_only": plan.get("read_only", False),
            "grading": grading_method(),
        },
    }
    return report


def advice_for_task(store: RunStore, run_id: str) -> Advice:
    """Advice over the stored runs of ``run_id``'s task, up to and including that run (so
    the report of an old run reads the same after newer runs)."""
    run = store.load_run(run_id)
    graded = []
    for other_id in store.run_ids_for_task(task_key(run.task), up_to=run_id):
        other = run if other_id == run_id else store.load_run(other_id)
        graded.append((other, grade_run(other, store.latest_verdict(other_id))))
    return advise(graded)


def report_for_run(store: RunStore, run_id: str, fmt: str = "md") -> str:
    run = store.load_run(run_id)
    data = build_report(run, store.latest_verdict(run.run_id), advice_for_task(store, run.run_id))
    return render(data, fmt)


def render(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return render_json(data)
    if fmt == "md":
        return render_markdown(data)
    raise ValueError(f"unknown report format {fmt!r}")


def render_json(data: dict[str, Any]) -> str:
    return redact(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def run_document(run: RunResult, grades: list[AgentGrades] | None = None, verdict: Verdict | None = None) -> dict[str, Any]:
    """The ``--json`` shape of one run (docs/cli.md), keys masked."""
    data = run.to_dict()
    data.pop("unfinished", None)
    if grades is not None:
        by_id = {g.agent_id: g for g in grades}
        for agent in data["agents"]:
            agent["grades"] = by_id[agent["agent_id"]].to_dict()
        data["ranking"] = [g.agent_id for g in grades]
        data["grading_note"] = grading_note(grades)
        data["judge"] = verdict.to_dict() if verdict is not None else None
    scrubbed: dict[str, Any] = scrub(data)  # answers and tool results can echo a key
    return scrubbed
