"""``nanotui history``: the stored runs, newest first."""

from __future__ import annotations

import argparse
import json

from nanotui.commands.args import help_text, positive_int
from nanotui.commands.format import table
from nanotui.engine.history.reader import RunSummary
from nanotui.engine.history.store import RunStore


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("history", help="list stored runs", description=help_text(__doc__))
    p.add_argument("--task", metavar="ID", help="only runs of this task")
    p.add_argument("--limit", type=positive_int("--limit"), default=50, metavar="N", help="show the newest N runs (default 50)")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    return p


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
    with RunStore() as store:
        runs = store.list_runs(task=args.task, limit=args.limit)
        path = store.path
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], indent=2, ensure_ascii=False))
        return 0
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
