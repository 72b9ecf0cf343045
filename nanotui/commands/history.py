"""``nanotui history``: the stored runs, newest first."""

from __future__ import annotations

import argparse
import json
import sys

from nanotui.commands.args import help_text, positive_int
from nanotui.commands.format import table
from nanotui.engine.errors import ConfigError
from nanotui.engine.history.reader import RunSummary
from nanotui.engine.history.store import RunStore


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("history", help="list stored runs", description=help_text(__doc__))
    p.add_argument("--task", metavar="ID", help="only runs of this task")
    p.add_argument("--limit", type=positive_int("--limit"), default=50, metavar="N", help="show the newest N runs (default 50)")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    actions = p.add_subparsers(dest="history_action", metavar="ACTION", parser_class=type(p))
    rm = actions.add_parser("rm", help="remove runs or suites for good (e.g. experiments and typos)")
    rm.add_argument("ids", nargs="+", metavar="ID", help="run ids or suite ids (unique prefixes will do)")
    rm.add_argument("--yes", action="store_true", help="do not ask")
    return p


def remove(ids: list[str], yes: bool) -> int:
    """Delete the runs (a suite id: all its runs) for good; the advisor forgets them."""
    with RunStore() as store:
        run_ids: list[str] = []
        for text in ids:
            suite_id = store.resolve_suite_id(text) if text.startswith("s-") or text == "latest" else None
            run_ids += store.load_suite(suite_id).run_ids if suite_id else [store.resolve_run_id(text)]
        run_ids = list(dict.fromkeys(run_ids))
        if not yes:
            if not sys.stdin.isatty():
                raise ConfigError(f"history rm: would remove {len(run_ids)} run(s); add --yes to confirm")
            answer = input(f"Remove {len(run_ids)} run(s) for good ({', '.join(run_ids[:5])}…)? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing removed")
                return 1
        store.delete_runs(run_ids)
    print(f"removed {len(run_ids)} run(s)")
    return 0


def models_text(models: list[str]) -> str:
    """``openai:gpt-5-mini x3, anthropic:claude-opus-4-1`` (trials counted, order kept)."""
    counts: dict[str, int] = {}
    for m in models:
        counts[m] = counts.get(m, 0) + 1
    return ", ".join(m if n == 1 else f"{m} x{n}" for m, n in counts.items())


def task_text(run: RunSummary) -> str:
    if run.task_id:
        return run.task_id
    prompt = " ".join(run.prompt.split())
    return f'"{prompt[:30]}…"' if len(prompt) > 30 else f'"{prompt}"'


def status_text(run: RunSummary) -> str:
    if run.interrupted:
        return f"interrupted ({run.agents_finished}/{run.agents_total} finished)"
    return run.status


def run(args: argparse.Namespace) -> int:
    if getattr(args, "history_action", None) == "rm":
        return remove(args.ids, args.yes)
    with RunStore() as store:
        runs = store.list_runs(task=args.task, limit=args.limit)
        suites = [] if args.task else store.list_suites(limit=args.limit)
        path = store.path
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], indent=2, ensure_ascii=False))
        return 0
    if suites:
        rows = [[s.suite_id, s.started_at.replace("T", " ").replace("+00:00", ""), s.name or "-",
                 f"{len(s.spec.get('tasks', []))} task(s)", models_text(s.spec.get("models", [])), s.status]
                for s in suites]
        print(table(["suite id", "started (UTC)", "suite", "tasks", "models", "status"], rows))
        print()
    if not runs:
        where = f" of task {args.task}" if args.task else ""
        print(f"no stored runs{where} yet ({path})")
        return 0
    rows = [
        [r.run_id, r.started_at.replace("T", " ").replace("+00:00", ""), task_text(r), models_text(r.models),
         status_text(r), r.judge or "-"]
        for r in runs
    ]
    print(table(["run id", "started (UTC)", "task", "models", "status", "judge"], rows))
    return 0
