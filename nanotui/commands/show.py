"""``nanotui show RUN_ID``: one stored run — its ranking and a summary of each agent.
A unique prefix of the run id is enough; ``latest`` is the newest run."""

from __future__ import annotations

import argparse
import textwrap

from nanotui.commands.args import help_text
from nanotui.commands.format import table
from nanotui.engine.history.store import RunStore
from nanotui.engine.numbers import secs, usd
from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.secrets import redact
from nanotui.engine.verdict.grading import AgentGrades, grade_run, grading_note

ANSWER_PREVIEW = 300


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("show", help="print one stored run", description=help_text(__doc__))
    p.add_argument("run_id", metavar="RUN_ID", help="a run id from `nanotui history` (a unique prefix will do), or latest for the newest run")
    return p


def grade_text(value: str | None) -> str:
    return "-" if value is None else value


def ranking_table(run: RunResult, grades: list[AgentGrades]) -> str:
    by_id = {a.agent_id: a for a in run.agents}
    trials = run.extra.get("trials", {})
    many = int(run.extra.get("plan", {}).get("trials") or 1) > 1
    rows = []
    for g in grades:
        a = by_id[g.agent_id]
        perf = grade_text(g.performance) + ("*" if g.basis == "checks" else "")
        checks = f"{sum(c.passed for c in a.checks)}/{len(a.checks)}" if a.checks else "-"
        name = a.display_name + (f" #{trials.get(a.agent_id, 1)}" if many else "")
        rows.append([str(g.rank), a.agent_id, name, perf, grade_text(g.speed), grade_text(g.cost),
                     grade_text(g.overall), a.status, checks, secs(a.wall_s), secs(a.ttft_s),
                     f"{a.usage.input_tokens}/{a.usage.output_tokens}", usd(a.cost_usd)])
    headers = ["#", "agent", "model", "perf", "speed", "cost", "overall", "status", "checks", "wall s",
               "TTFT s", "tokens in/out", "cost"]
    return table(headers, rows, right={0, 9, 10, 11, 12})


def agent_summary(a: AgentResult, g: AgentGrades) -> str:
    lines = [f"{g.rank}. {a.agent_id} {a.display_name} ({a.model}) — {a.status}"
             + (" [emulated tools]" if a.emulated_tools else "")]
    if a.error:
        lines.append(f"   error: {a.error}")
    if g.rationale:
        lines.append(f"   {'judge' if g.label else 'note'}: {g.rationale}")
    failed = [c for c in a.checks if not c.passed]
    for c in failed:
        lines.append(f"   failed check: {c.name}" + (f" — {c.detail}" if c.detail else ""))
    tools = ", ".join(t.name + ("" if t.ok else "!") for t in a.tool_calls[:12])
    if tools:
        more = f" (+{len(a.tool_calls) - 12})" if len(a.tool_calls) > 12 else ""
        lines.append(f"   tools: {tools}{more}")
    if a.files_changed:
        lines.append("   files changed: " + ", ".join(a.files_changed))
    answer = a.final_answer.strip()
    if answer:
        short = answer if len(answer) <= ANSWER_PREVIEW else answer[:ANSWER_PREVIEW] + "…"
        lines.append("   answer:")
        lines += [textwrap.indent(short, "   | ")]
    return "\n".join(lines)


def render_run(run: RunResult, verdict) -> str:  # verdict: Verdict | None
    grades = grade_run(run, verdict)
    task = run.task.id or "ad-hoc prompt"
    head = [
        f"run      {run.run_id}",
        f"task     {task}" + (f" — {run.task.title}" if run.task.title else ""),
        f"started  {run.started_at}",
        f"status   {run.extra.get('status', 'finished')}",
    ]
    if verdict is not None:
        head.append(f"judge    {verdict.judge}: {verdict.status}, {usd(verdict.cost_usd)} (not in the models' costs)")
    else:
        head.append("judge    none")
    head.append(f"grades   {grading_note(grades)}" + ("  (* = from checks)" if any(g.basis == "checks" for g in grades) else ""))
    by_id = {a.agent_id: a for a in run.agents}
    body = [agent_summary(by_id[g.agent_id], g) for g in grades]
    return redact("\n".join(head) + "\n\n" + ranking_table(run, grades) + "\n\n" + "\n\n".join(body))


def run(args: argparse.Namespace) -> int:
    with RunStore() as store:
        run_id = store.resolve_run_id(args.run_id)
        stored = store.load_run(run_id)
        verdict = store.latest_verdict(run_id)
    print(render_run(stored, verdict))
    return 0
