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
from nanotui.engine.verdict.agreement import ordinal_alpha
from nanotui.engine.verdict.grading import POINTS, AgentGrades, grade_run, grading_note
from nanotui.engine.verdict.verdict import Verdict

ANSWER_PREVIEW = 300


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("show", help="print one stored run", description=help_text(__doc__))
    p.add_argument("run_id", metavar="RUN_ID", help="a run id from `nanotui history` (a unique prefix will do), or latest for the newest run")
    p.add_argument("--verdicts", action="store_true",
                   help="list every verdict kept for the run (re-judged runs have several) and how far they agree")
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


def render_run(run: RunResult, verdict: Verdict | None) -> str:
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


def render_verdicts(run: RunResult, verdicts: list[Verdict]) -> str:
    """Every verdict of ``run``, oldest first, one column each, and their agreement."""
    if not verdicts:
        return f"run {run.run_id}: no verdict yet (nanotui report {run.run_id} --judge SPEC judges it)"
    rows = []
    for i, v in enumerate(verdicts, start=1):
        a = v.agreement
        inner = "–" if a.value is None else f"{a.value:.2f}"
        rows.append([str(i), v.created_at.replace("T", " ").replace("+00:00", ""), v.judge, v.status,
                     usd(v.cost_usd), inner])
    lines = [table(["#", "when (UTC)", "jurors", "status", "cost", "jury α"], rows, right={0, 4, 5}), ""]
    agents = [a for a in run.agents]
    grade_rows = [[a.agent_id, a.display_name, *(_grade_of(v, a.agent_id) for v in verdicts)] for a in agents]
    lines.append(table(["agent", "model", *(f"#{i}" for i in range(1, len(verdicts) + 1))], grade_rows))
    units = [[POINTS[g] for v in verdicts if (g := _grade_of(v, a.agent_id)) in POINTS] for a in agents]
    value, reason = ordinal_alpha(units) if len(verdicts) > 1 else (None, "one verdict")
    same = sum(1 for u in units if len(u) > 1 and len(set(u)) == 1)
    both = sum(1 for u in units if len(u) > 1)
    between = f"α={value:.2f}" if value is not None else f"α not defined ({reason})"
    if both:
        between += f"; {same}/{both} agents graded the same by every verdict"
    lines += ["", f"agreement between the verdicts: {between}"]
    return redact("\n".join(lines))


def _grade_of(v: Verdict, agent_id: str) -> str:
    c = v.candidates.get(agent_id)
    return (c.grade or "unscored") if c is not None else "-"


def run(args: argparse.Namespace) -> int:
    with RunStore() as store:
        if args.run_id.startswith("s-"):  # a suite: its leaderboard and its runs
            from nanotui.commands.suite import leaderboard_table
            from nanotui.engine.report.suite import stored_outcome

            suite_id = store.resolve_suite_id(args.run_id) or args.run_id
            outcome = stored_outcome(store, suite_id)
            board = outcome.board()
            runs = "\n".join(f"  {r.run_id}  {r.task.id}" for r in outcome.runs)
            print(f"suite    {suite_id} ({outcome.status})\n\n{leaderboard_table(board)}\n\n{board.note}\n\nruns\n{runs}")
            return 0
        run_id = store.resolve_run_id(args.run_id)
        stored = store.load_run(run_id)
        verdict = store.latest_verdict(run_id)
        verdicts = store.verdicts(run_id) if args.verdicts else []
    print(render_verdicts(stored, verdicts) if args.verdicts else render_run(stored, verdict))
    return 0
