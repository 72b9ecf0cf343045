"""The report of a suite: the leaderboard with its intervals, the models x tasks matrix (each
cell links to that task's section), quality versus cost across the suite, then each task's
own report as a section. Built from the history only: the same bytes every time."""

from __future__ import annotations

import json
import re
from typing import Any

from nanotui.engine.history.store import RunStore
from nanotui.engine.numbers import secs, usd
from nanotui.engine.report.data import advice_for_task, build_report, run_document
from nanotui.engine.report.markdown import render_markdown
from nanotui.engine.report.tables import NONE, UNKNOWN, date_text, table
from nanotui.engine.report.tradeoffs import quadrant
from nanotui.engine.secrets import redact
from nanotui.engine.verdict.grading import grade_run
from nanotui.engine.verdict.leaderboard import Leaderboard, SuiteOutcome

SUITE_REPORT_FORMAT = "nanotui-suite-report/1"


def stored_outcome(store: RunStore, suite_id: str) -> SuiteOutcome:
    summary = store.load_suite(suite_id)
    runs = [store.load_run(r) for r in summary.run_ids]
    verdicts = {r.run_id: store.latest_verdict(r.run_id) for r in runs}
    status = "interrupted" if summary.status != "finished" else "finished"
    return SuiteOutcome(suite_id, status, list(summary.spec.get("tasks", [])), list(summary.spec.get("models", [])),
                        runs, verdicts)


def suite_report(store: RunStore, suite_id: str, fmt: str = "md") -> str:
    outcome = stored_outcome(store, suite_id)
    summary = store.load_suite(suite_id)
    if fmt == "json":
        documents = [run_document(r, grade_run(r, outcome.verdicts.get(r.run_id)), outcome.verdicts.get(r.run_id))
                     for r in outcome.runs]
        data = {"format": SUITE_REPORT_FORMAT, "name": summary.name, "started_at": summary.started_at,
                "finished_at": summary.finished_at, **outcome.to_dict(documents)}
        return redact(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    board = outcome.board()
    parts = [f"# nanotui suite report: {summary.name or ', '.join(outcome.tasks)}", ""]
    parts += [table(["", ""], [["Suite", f"`{suite_id}`"], ["Date", date_text(summary.started_at)],
                               ["Status", outcome.status], ["Tasks", ", ".join(f"`{t}`" for t in outcome.tasks)],
                               ["Models", ", ".join(f"`{m}`" for m in outcome.models)],
                               ["Trials", str(summary.spec.get("trials", 1))]]), ""]
    parts += _leaderboard(board) + [""]
    parts += _matrix(board, outcome) + [""]
    parts += _quality_vs_cost(board) + [""]
    for run in outcome.runs:
        verdict = outcome.verdicts.get(run.run_id)
        section = render_markdown(build_report(run, verdict, advice_for_task(store, run.run_id)))
        parts += [_as_section(section, run.task.id or run.run_id), ""]
    return redact("\n".join(parts).rstrip("\n") + "\n")


def _leaderboard(board: Leaderboard) -> list[str]:
    rows = []
    for r in board.rows:
        ci = NONE if r.ci95 is None else f"[{r.ci95[0]:.2f}, {r.ci95[1]:.2f}]"
        pass_k = ", ".join(f"pass^{k} {v:.2f}" for k, v in (r.pass_k or {}).items()) or NONE
        rows.append([r.rank, f"{r.display_name} (`{r.model}`)", r.attempts, r.passed,
                     NONE if r.mean_points is None else f"{r.mean_points:.2f}", ci, pass_k,
                     usd(r.cost_usd, UNKNOWN), secs(r.working_s, NONE), secs(r.wall_s, NONE)])
    return ["## Leaderboard", "",
            "Mean performance points (S=5 … F=0) over every task and trial, with a 95 % bootstrap interval; "
            "passed = performance A or better; ranked by mean, then working time, then cost.", "",
            table(["#", "Model", "Attempts", "Passed", "Mean", "95 % CI", "pass^k", "Cost", "Working s", "Wall s"],
                  rows, right={0, 2, 3, 4, 7, 8, 9}),
            "", f"**{'Clear winner' if board.clear_winner else 'No clear winner'}:** {board.note}."]


def _matrix(board: Leaderboard, outcome: SuiteOutcome) -> list[str]:
    links = {run.task.id or run.run_id: _anchor(run.task.id or run.run_id) for run in outcome.runs}
    rows = [[f"{r.display_name}", *(f"[{r.grades_by_task.get(t) or NONE}](#{links[t]})" if t in links
                                    else NONE for t in board.tasks)] for r in board.rows]
    return ["## Models × tasks", "", "Each cell is the model's performance on the task (its trials' mean); "
            "it links to that task's section.", "", table(["Model", *(f"`{t}`" for t in board.tasks)], rows)]


def _quality_vs_cost(board: Leaderboard) -> list[str]:
    points: list[dict[str, Any]] = [{"display_name": r.display_name, "mean_performance_points": r.mean_points,
                                     "median_cost_usd": r.cost_usd} for r in board.rows]
    chart = quadrant(points)
    if not chart:
        return []
    chart = [line.replace("Quality versus cost (cost on a log scale)", "Quality versus total cost (log scale)")
             for line in chart]
    return ["## Quality versus cost across the suite", "", *chart]


def _anchor(task: str) -> str:
    return "task-" + re.sub(r"[^a-z0-9-]+", "-", task.lower())


def _as_section(markdown: str, task: str) -> str:
    """One task's report as a section of the suite's: headings one level down, its own
    anchors and links prefixed with the task so they stay unique."""
    prefix = _anchor(task)
    lines = []
    for line in markdown.rstrip("\n").split("\n"):
        if line.startswith("#"):
            line = "#" + line
        lines.append(line)
    text = "\n".join(lines)
    text = text.replace('<a id="', f'<a id="{prefix}-').replace("](#", f"](#{prefix}-")
    return f'<a id="{prefix}"></a>\n\n' + text
