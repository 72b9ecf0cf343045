"""``nanotui run``: the headless runner for scripts and CI."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from nanotui.commands.format import secs, table, usd
from nanotui.commands.progress import Progress
from nanotui.engine.errors import ConfigError
from nanotui.engine.live import LiveBoard
from nanotui.engine.orchestrator import Orchestrator, RunInterrupted
from nanotui.engine.plan import RunPlan, plan_run
from nanotui.engine.results import RunResult


def _positive_int(flag: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} expects a whole number, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} expects a number of at least 1, got {value}")
        return value

    return parse


def _positive_float(flag: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} expects a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{flag} expects a positive number, got {text}")
        return value

    return parse


def _var(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--var expects KEY=VALUE, got {text!r}")
    return key, value


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="run a task on one or more models, headless", description=__doc__)
    p.add_argument("task", nargs="?", metavar="TASK", help="task id from `nanotui tasks`")
    p.add_argument("--prompt", help="an ad-hoc task prompt (no task file)")
    p.add_argument("--workspace", type=Path, help="folder each agent gets a private copy of")
    p.add_argument("--model", "-m", action="append", default=[], metavar="SPEC",
                   help="PROVIDER:MODEL or a roster name; repeat for more models")
    p.add_argument("--var", action="append", type=_var, default=[], metavar="KEY=VALUE",
                   help="set a task variable")
    p.add_argument("--max-turns", type=_positive_int("--max-turns"), help="turns per agent (default 20)")
    p.add_argument("--timeout", type=_positive_float("--timeout"), help="wall seconds per agent (default 600)")
    p.add_argument("--max-tokens", type=_positive_int("--max-tokens"), help="token budget per agent")
    p.add_argument("--max-cost", type=_positive_float("--max-cost"), help="USD budget per agent")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the full results as JSON")
    return p


def _check_output_path(path: Path | None, flag: str) -> None:
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{flag} {path}: folder {parent} does not exist")
    if path.is_dir():
        raise ConfigError(f"{flag} {path}: is a directory, expected a file path")
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"{flag} {path}: folder {parent} is not writable")


def build_plan(args: argparse.Namespace) -> RunPlan:
    return plan_run(
        models=args.model,
        task_id=args.task,
        prompt=args.prompt,
        workspace=args.workspace,
        variables=dict(args.var),
        max_turns=args.max_turns,
        timeout_s=args.timeout,
        max_tokens=args.max_tokens,
        max_cost_usd=args.max_cost,
    )


async def execute(plan: RunPlan, sink, *, tick=None) -> RunResult:
    orch = Orchestrator(
        plan.agent_task,
        plan.specs,
        task_ref=plan.task_ref,
        limits=plan.limits,
        sink=sink,
        after_agent=plan.after_agent,
    )
    ticker = asyncio.create_task(tick) if tick is not None else None
    try:
        return await orch.run()
    finally:
        if ticker is not None:
            ticker.cancel()


def final_table(run: RunResult) -> str:
    headers = ["agent", "model", "status", "wall s", "TTFT s", "turns", "tools",
               "input", "cached", "output", "reasoning", "cost"]
    has_checks = any(a.checks for a in run.agents)
    if has_checks:
        headers.append("checks")
    rows = []
    for a in run.agents:
        u = a.usage
        status = a.status + (" (max_tokens)" if a.stop_reason == "max_tokens" else "")
        row = [a.agent_id, a.model, status, secs(a.wall_s), secs(a.ttft_s), str(a.turns),
               str(len(a.tool_calls)), str(u.input_tokens), str(u.cached_input_tokens),
               str(u.output_tokens), str(u.reasoning_tokens), usd(a.cost_usd)]
        if has_checks:
            row.append(f"{sum(c.passed for c in a.checks)}/{len(a.checks)}")
        rows.append(row)
    return table(headers, rows, right=set(range(3, 12)))


def write_json(run: RunResult, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(run.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def run(args: argparse.Namespace) -> int:
    _check_output_path(args.json, "--json")
    plan = build_plan(args)
    board = LiveBoard()
    for i, spec in enumerate(plan.specs):
        board.add(f"a{i + 1}", spec.spec, spec.display_name)
    progress = Progress(board)
    title = plan.task_ref.id or "ad-hoc prompt"
    print(f"nanotui: running {title} on {len(plan.specs)} model(s)", file=sys.stderr)
    interrupted = False
    try:
        result = asyncio.run(execute(plan, progress, tick=progress.tick_forever_task() if progress.tty else None))
    except RunInterrupted as exc:
        result, interrupted = exc.run, True
    except KeyboardInterrupt:
        print("nanotui: interrupted before any agent finished", file=sys.stderr)
        return 130
    progress.close()
    print(final_table(result))
    if args.json is not None:
        write_json(result, args.json)
        print(f"nanotui: wrote {args.json}", file=sys.stderr)
    return 130 if interrupted else 0
