"""``nanotui run`` with several tasks (``T1 T2``, ``--all``, ``--suite``) and ``--resume``:
every task is a run of its own, linked to one suite in the history; the models are ranked
across all of them with confidence intervals."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from nanotui.commands import guards
from nanotui.commands.format import table
from nanotui.commands.judging import choose_from_args, verdict_line
from nanotui.engine.errors import ConfigError
from nanotui.engine.events import AgentFinished, Event, Sink
from nanotui.engine.files import write_text_atomic
from nanotui.engine.history.store import RunStore
from nanotui.engine.numbers import secs, usd
from nanotui.engine.report.data import run_document
from nanotui.engine.report.suite import suite_report
from nanotui.engine.results import RunResult
from nanotui.engine.run.orchestrator import RunInterrupted
from nanotui.engine.run.plan import RunPlan, plan_run
from nanotui.engine.run.scheduler import Scheduler
from nanotui.engine.run.service import RecordedRun
from nanotui.engine.run.suite import RecordedSuite, SuiteFile
from nanotui.engine.tasks.library import load_library
from nanotui.engine.verdict.grading import grade_run
from nanotui.engine.verdict.jury import JuryChoice
from nanotui.engine.verdict.leaderboard import Leaderboard, SuiteOutcome
from nanotui.engine.verdict.trials import expand_trials
from nanotui.engine.verdict.verdict import Verdict
from nanotui.providers.registry import SdkProviders


class SuiteProgress:
    """One line per agent that finishes (and per task that starts), with the suite's count."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.t0 = time.monotonic()

    def sink_for(self, task: str, index: int, count: int) -> Sink:
        def sink(event: Event) -> None:
            if isinstance(event, AgentFinished) and event.result is not None:
                self.done += 1
                r = event.result
                line = (f"[{time.monotonic() - self.t0:6.1f}s] {task} {r.agent_id} {r.display_name}: {r.status}"
                        f" {secs(r.wall_s)}s {usd(r.cost_usd)} · {self.done} of {self.total} agents done")
                print(line + (f" ({r.error[:100]})" if r.error else ""), file=sys.stderr, flush=True)

        return sink


def suite_tasks(args: argparse.Namespace, suite: SuiteFile | None) -> list[str]:
    library = load_library()
    if args.all or (suite is not None and suite.tasks == "all"):
        return library.ids
    ids = list(args.tasks) if args.tasks else list(suite.tasks if suite is not None else [])
    for task_id in ids:
        library.get(task_id)  # an unknown id is one line naming it
    return list(dict.fromkeys(ids))


def build_plans(task_ids: list[str], models: list[str], args: argparse.Namespace,
                limits: dict[str, float], trials: int) -> list[RunPlan]:
    providers = SdkProviders()
    plans = []
    for task_id in task_ids:
        plan = plan_run(models=models, task_id=task_id, variables=dict(args.var),
                        max_turns=args.max_turns or _int(limits.get("max_turns")),
                        timeout_s=args.timeout or limits.get("timeout_s"), max_tokens=args.max_tokens,
                        max_cost_usd=args.max_cost_per_agent, providers=providers)
        plan.specs = expand_trials(plan.specs, trials)
        plans.append(plan)
    return plans


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def run_suite(args: argparse.Namespace, models: list[str], suite: SuiteFile | None) -> int:
    task_ids = suite_tasks(args, suite)
    trials = args.trials if args.trials_given or suite is None else suite.trials
    limits = suite.limits if suite is not None else {}
    plans = build_plans(task_ids, models, args, limits, trials)
    # The estimate uses the first task's prompt for every agent: the order of magnitude is the point.
    guards.confirm_size([s for p in plans for s in p.specs], plans[0].agent_task.prompt, args.yes)
    for note in guards.price_notes(plans[0].specs):
        print(f"nanotui: {note}", file=sys.stderr)
    judge = _jury(args, suite)
    spec = {"tasks": task_ids, "models": list(dict.fromkeys(s.spec for s in plans[0].specs)), "trials": trials,
            "judge": judge.specs, "limits": limits, "max_cost_usd": args.max_cost or limits.get("max_cost_usd"),
            "variables": dict(args.var)}
    with RunStore() as store:
        return _execute(args, plans, judge, store, name=suite.name if suite else None, spec=spec)


def _jury(args: argparse.Namespace, suite: SuiteFile | None) -> JuryChoice:
    if suite is not None and not (args.judge or args.jury or args.no_judge) and suite.judge is not None:
        args.no_judge = suite.judge == "none"
        args.jury = suite.judge == "jury"
        args.judge = suite.judge if isinstance(suite.judge, list) else []
    return choose_from_args(args)


def _execute(args: argparse.Namespace, plans: list[RunPlan], judge: JuryChoice, store: RunStore, *, name: str | None,
             spec: dict[str, Any], resume: dict[str, RunResult] | None = None, suite_id: str | None = None) -> int:
    total = sum(len(p.specs) for p in plans)
    progress = SuiteProgress(total)
    budget = spec.get("max_cost_usd")
    scheduler = Scheduler(max_cost_usd=budget)  # one queue and one set of limits for the whole suite
    runs = []
    for i, plan in enumerate(plans, start=1):
        task = plan.task_ref.id or "prompt"
        stored = (resume or {}).get(task)
        runs.append(RecordedRun(plan, providers=SdkProviders(), history=store, jurors=judge.models,
                                judge_passes=args.judge_passes, trials=spec["trials"],
                                sink=progress.sink_for(task, i, len(plans)), resume=stored, scheduler=scheduler))
    recorded = RecordedSuite(runs, history=store, name=name, spec=spec, suite_id=suite_id, resumed=resume is not None,
                             scheduler=scheduler)
    times = f" x {spec['trials']} trials" if spec["trials"] > 1 else ""
    print(f"nanotui: suite {recorded.suite_id}: {len(plans)} task(s) x {len(spec['models'])} model(s){times}"
          f" = {total} agents" + (f"; budget ${budget:g}" if budget else ""), file=sys.stderr)
    interrupted = False
    try:
        asyncio.run(recorded.execute(max_cost_usd=budget, notify=lambda line: print(f"nanotui: {line}", file=sys.stderr)))
    except (RunInterrupted, KeyboardInterrupt):
        interrupted = True
        print(f"nanotui: suite interrupted: finished agents are kept; resume with "
              f"nanotui run --resume {recorded.suite_id}", file=sys.stderr)
    verdicts: dict[str, Verdict | None] = {}
    if not interrupted and judge.models:
        for run in recorded.runs:
            if run.result is None:
                continue
            verdict = asyncio.run(run.judge())
            verdicts[run.run_id] = verdict
            if verdict is not None:
                print(f"nanotui: {run.plan.task_ref.id}: {verdict_line(verdict)}", file=sys.stderr)
    elif judge.note and not interrupted:
        print(f"nanotui: {judge.note}", file=sys.stderr)
    for run in recorded.runs:  # runs judged before (a resumed suite) keep their verdict
        if run.result is not None and verdicts.get(run.run_id) is None:
            verdicts[run.run_id] = store.latest_verdict(run.run_id)
    outcome = recorded.outcome(verdicts)
    finish(args, outcome, store)
    if recorded.history_error or any(r.history_error for r in recorded.runs):
        print(f"nanotui: warning: history: {recorded.history_error or next(r.history_error for r in recorded.runs if r.history_error)}",
              file=sys.stderr)
    print(f"nanotui: suite {recorded.suite_id} saved (nanotui show {recorded.suite_id})", file=sys.stderr)
    return 130 if interrupted or outcome.status == "interrupted" else 0


def finish(args: argparse.Namespace, outcome: SuiteOutcome, store: RunStore) -> None:
    board = outcome.board()
    print(leaderboard_table(board))
    print(f"\n{board.note}")
    if args.json is not None:
        documents = [run_document(run, grade_run(run, outcome.verdicts.get(run.run_id)),
                                  outcome.verdicts.get(run.run_id)) for run in outcome.runs]
        write_text_atomic(args.json, json.dumps(outcome.to_dict(documents), indent=2, ensure_ascii=False) + "\n")
        print(f"nanotui: wrote {args.json}", file=sys.stderr)
    if args.report is not None:
        fmt = "json" if args.report.suffix.lower() == ".json" else "md"
        write_text_atomic(args.report, suite_report(store, outcome.suite_id, fmt))
        print(f"nanotui: wrote {args.report}", file=sys.stderr)


def leaderboard_table(board: Leaderboard) -> str:
    rows = []
    for r in board.rows:
        ci = "-" if r.ci95 is None else f"[{r.ci95[0]:.2f}, {r.ci95[1]:.2f}]"
        mean = "-" if r.mean_points is None else f"{r.mean_points:.2f}"
        pass_k = "" if not r.pass_k else " ".join(f"^{k}={v:.2f}" for k, v in r.pass_k.items())
        rows.append([str(r.rank), r.model, str(r.attempts), str(r.passed), mean, ci, pass_k, usd(r.cost_usd),
                     secs(r.working_s), *(r.grades_by_task.get(t) or "-" for t in board.tasks)])
    headers = ["#", "model", "attempts", "passed", "mean", "95% CI", "pass^k", "cost", "working s", *board.tasks]
    return table(headers, rows, right={0, 2, 3, 4, 7, 8})


def resume(args: argparse.Namespace) -> int:
    """``--resume SUITE_ID|latest``: run only the agents without a committed result, then
    grade, rank and report the whole suite."""
    with RunStore() as store:
        suite_id = store.resolve_suite_id(args.resume)
        if suite_id is None:
            raise ConfigError("no stored suite has this id", field="resume", value=args.resume,
                              expected="a suite id from `nanotui history` (or latest)")
        summary = store.load_suite(suite_id)
        if summary.status == "finished":
            stored = [store.load_run(r) for r in summary.run_ids]
            if all(not r.extra.get("unfinished") for r in stored) and len(stored) == len(summary.spec["tasks"]):
                raise ConfigError("this suite finished: nothing to resume", field="resume", value=suite_id,
                                  expected="an interrupted suite")
        runs = {r.task.id or r.run_id: r for r in (store.load_run(i) for i in summary.run_ids)}
        spec = summary.spec
        args.var = list(spec.get("variables", {}).items())
        args.max_cost = spec.get("max_cost_usd")
        plans = build_plans(spec["tasks"], spec["models"], args, spec.get("limits", {}), spec.get("trials", 1))
        judge = choose_from_args(args) if (args.judge or args.jury or args.no_judge) else _stored_jury(spec)
        pending = sum(len(r.extra.get("unfinished", [])) for r in runs.values())
        fresh = [t for t in spec["tasks"] if t not in runs]
        print(f"nanotui: resuming suite {suite_id}: {pending} agent(s) to finish"
              + (f", {len(fresh)} task(s) not started" if fresh else ""), file=sys.stderr)
        return _execute(args, plans, judge, store, name=summary.name, spec=spec, resume=runs, suite_id=suite_id)


def _stored_jury(spec: dict[str, Any]) -> JuryChoice:
    from nanotui.engine.verdict.jury import choose_jury

    return choose_jury(spec.get("judge") or None, disabled=not spec.get("judge"))
