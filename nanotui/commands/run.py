"""``nanotui run``: the headless runner for scripts and CI."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from nanotui.commands import guards
from nanotui.commands import suite as suite_cli
from nanotui.commands.args import help_text, key_value, positive_float, positive_int
from nanotui.commands.format import table
from nanotui.commands.judging import add_judge_arguments, choose_from_args, judge_and_report
from nanotui.commands.progress import Progress
from nanotui.engine.errors import ConfigError
from nanotui.engine.files import write_text_atomic
from nanotui.engine.history.store import RunStore
from nanotui.engine.numbers import secs, usd
from nanotui.engine.report.data import report_for_run, run_document
from nanotui.engine.results import RunResult
from nanotui.engine.run.live import LiveBoard
from nanotui.engine.run.orchestrator import RunInterrupted
from nanotui.engine.run.plan import RunPlan, plan_run
from nanotui.engine.run.service import RecordedRun
from nanotui.engine.run.suite import load_suite
from nanotui.engine.verdict.grading import AgentGrades, grade_run
from nanotui.engine.verdict.jury import JuryChoice
from nanotui.engine.verdict.trials import expand_trials
from nanotui.engine.verdict.verdict import Verdict
from nanotui.providers.registry import SdkProviders


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="run a task on one or more models, headless", description=help_text(__doc__))
    p.add_argument("tasks", nargs="*", metavar="TASK", help="task id(s) from `nanotui tasks`; several make a suite")
    p.add_argument("--all", action="store_true", help="every task in the library, as one suite")
    p.add_argument("--suite", metavar="NAME|PATH", help="a suite file (e.g. ladder: every built-in task)")
    p.add_argument("--resume", metavar="SUITE_ID", help="finish an interrupted suite (or latest): only agents "
                   "without a result run, then the whole suite is graded, ranked and reported")
    p.add_argument("--prompt", help="an ad-hoc task prompt (no task file)")
    p.add_argument("--workspace", type=Path, help="folder each agent gets a private copy of")
    p.add_argument("--model", "-m", action="append", default=[], metavar="SPEC",
                   help="PROVIDER:MODEL or a roster name; repeat for more models (default: every ready model)")
    p.add_argument("--var", action="append", type=key_value, default=[], metavar="KEY=VALUE",
                   help="set a task variable")
    p.add_argument("--max-turns", type=positive_int("--max-turns"), help="turns per agent (default 20)")
    p.add_argument("--timeout", type=positive_float("--timeout"), help="wall seconds per agent (default 600)")
    p.add_argument("--max-tokens", type=positive_int("--max-tokens"), help="token budget per agent")
    p.add_argument("--max-cost", type=positive_float("--max-cost"), metavar="USD",
                   help="budget of the whole run: no new task starts once the agents have spent it")
    p.add_argument("--max-cost-per-agent", type=positive_float("--max-cost-per-agent"), metavar="USD",
                   help="budget of each agent: it stops once it has spent it")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the full results as JSON")
    p.add_argument("--report", type=Path, metavar="PATH", help="write the report (markdown; .json for JSON)")
    add_judge_arguments(p)
    p.add_argument("--trials", type=positive_int("--trials"), default=None, metavar="N",
                   help="run each model N times (the report shows spread and pass^k)")
    guards.add_flags(p)
    return p


def build_plan(args: argparse.Namespace) -> RunPlan:
    return plan_run(
        models=args.model,
        task_id=args.tasks[0] if args.tasks else None,
        prompt=args.prompt,
        workspace=args.workspace,
        variables=dict(args.var),
        max_turns=args.max_turns,
        timeout_s=args.timeout,
        max_tokens=args.max_tokens,
        max_cost_usd=args.max_cost_per_agent,
        providers=SdkProviders(),
    )


def final_table(run: RunResult, grades: list[AgentGrades] | None = None) -> str:
    headers = ["agent", "model", "status", "wall s", "TTFT s", "turns", "tools",
               "input", "cached", "output", "reasoning", "cost"]
    has_checks = any(a.checks for a in run.agents)
    if has_checks:
        headers.append("checks")
    rows = []
    agents = run.agents
    if grades is not None:  # ranking order, grades in front
        by_id = {a.agent_id: a for a in run.agents}
        agents = [by_id[g.agent_id] for g in grades]
        headers = ["#", "perf", "speed", "cost", "overall", *headers]
    for a in agents:
        u = a.usage
        status = a.status + (" (max_tokens)" if a.stop_reason == "max_tokens" else "")
        row = [a.agent_id, a.model, status, secs(a.wall_s), secs(a.ttft_s), str(a.turns),
               str(len(a.tool_calls)), str(u.input_tokens), str(u.cached_input_tokens),
               str(u.output_tokens), str(u.reasoning_tokens), usd(a.cost_usd)]
        if has_checks:
            row.append(f"{sum(c.passed for c in a.checks)}/{len(a.checks)}")
        rows.append(row)
    if grades is not None:
        rows = [[str(g.rank), *(x or "-" for x in (g.performance, g.speed, g.cost, g.overall)), *row]
                for g, row in zip(grades, rows)]
        return table(headers, rows, right={0} | set(range(8, 17)))
    return table(headers, rows, right=set(range(3, 12)))


def write_json(run: RunResult, path: Path, grades: list[AgentGrades] | None = None,
               verdict: Verdict | None = None) -> None:
    write_text_atomic(path, json.dumps(run_document(run, grades, verdict), indent=2, ensure_ascii=False) + "\n")


def run(args: argparse.Namespace) -> int:
    guards.check_args(args)
    args.trials_given = args.trials is not None
    args.trials = args.trials or 1
    if args.resume is not None:
        if args.tasks or args.all or args.suite or args.prompt or args.model:
            raise ConfigError("--resume takes the tasks and models of the stored suite: give no others")
        return suite_cli.resume(args)
    suite = load_suite(args.suite) if args.suite else None
    if sum(bool(x) for x in (args.tasks, args.all, suite, args.prompt)) > 1:
        raise ConfigError("give the tasks one way: TASK ..., --all, --suite or --prompt")
    if not (args.tasks or args.all or suite or args.prompt):
        raise ConfigError("nothing to run", field="task", expected="a task id (see `nanotui tasks`), --all, --suite or a prompt")
    if not args.model:
        args.model = (suite.models if suite is not None and suite.models else default_models())
    if args.all or suite is not None or len(args.tasks) > 1:
        if args.workspace is not None:
            raise ConfigError("--workspace goes with one task or --prompt, not with a suite")
        return suite_cli.run_suite(args, args.model, suite)
    plan = build_plan(args)
    judge = choose_from_args(args)
    models = len(plan.specs)
    plan.specs = expand_trials(plan.specs, args.trials)
    guards.confirm_size(plan.specs, plan.agent_task.prompt, args.yes)
    with RunStore() as store:
        return _run_recorded(args, plan, judge, store, models)


def default_models() -> list[str]:
    """Every ready roster model, and a line naming the ones left out and why."""
    from nanotui.engine.roster.roster_file import load_roster
    from nanotui.providers.readiness import check_all_sync

    roster = load_roster()
    found = check_all_sync(list(roster.entries.values()))
    ready = [r.name for r in found if r.ready]
    left = [f"{r.name} ({r.state}: {r.detail})" for r in found if not r.ready]
    if not ready:
        raise ConfigError("no roster model is ready here (see `nanotui models`)", field="model",
                          expected="PROVIDER:MODEL or a roster entry name")
    print(f"nanotui: no --model given: running every ready model ({', '.join(ready)})", file=sys.stderr)
    if left:
        print(f"nanotui: left out: {'; '.join(left)}", file=sys.stderr)
    return ready


def _run_recorded(args: argparse.Namespace, plan: RunPlan, judge: JuryChoice, store: RunStore, models: int) -> int:
    board = LiveBoard()
    for i, spec in enumerate(plan.specs):
        board.add(f"a{i + 1}", spec.spec, spec.display_name)
    progress = Progress(board)
    recorded = RecordedRun(plan, providers=SdkProviders(), history=store, jurors=judge.models,
                           judge_passes=args.judge_passes, trials=args.trials,
                           sink=progress)
    run_id = recorded.run_id
    title = plan.task_ref.id or "ad-hoc prompt"
    times = f" x {args.trials} trials" if args.trials > 1 else ""
    print(f"nanotui: running {title} on {models} model(s){times} as run {run_id}", file=sys.stderr)
    for note in guards.price_notes(plan.specs):
        print(f"nanotui: {note}", file=sys.stderr)
    interrupted = False
    try:
        result = asyncio.run(_execute(recorded, progress))
    except RunInterrupted as exc:
        result, interrupted = exc.run, True
    except KeyboardInterrupt:
        print(f"nanotui: interrupted before any agent finished (run {run_id})", file=sys.stderr)
        return 130
    progress.close()
    verdict = None
    if interrupted:
        print("nanotui: run interrupted: finished agents are kept in history; no judge", file=sys.stderr)
    elif result.agents and judge.models:
        try:
            verdict = judge_and_report(judge, result, plan.rubric, args.judge_passes, recorded.judge)
        except KeyboardInterrupt:
            print("nanotui: judge interrupted; grades from checks only", file=sys.stderr)
            interrupted = True
    if judge.note and not interrupted:
        print(f"nanotui: {judge.note}", file=sys.stderr)
    grades = grade_run(result, verdict)
    print(final_table(result, grades))
    wrote = True
    if args.json is not None:
        wrote &= guards.try_write("--json", args.json, run_id, lambda: write_json(result, args.json, grades, verdict))
    if args.report is not None:
        fmt = "json" if args.report.suffix.lower() == ".json" else "md"
        wrote &= guards.try_write("--report", args.report, run_id,
                                  lambda: write_text_atomic(args.report, report_for_run(store, run_id, fmt)))
    if recorded.history_error:
        print(f"nanotui: warning: history: {recorded.history_error}", file=sys.stderr)
    print(f"nanotui: run {run_id} saved (nanotui show {run_id})", file=sys.stderr)
    return 130 if interrupted else 0 if wrote else 1


async def _execute(recorded: RecordedRun, progress: Progress) -> RunResult:
    ticker = asyncio.create_task(progress.tick_forever()) if progress.tty else None
    try:
        return await recorded.execute()
    finally:
        if ticker is not None:
            ticker.cancel()
