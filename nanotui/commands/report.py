"""``nanotui report RUN_ID``: the markdown (or JSON) report of a stored run, on stdout or
into a file. With ``--judge SPEC`` the stored run is judged first (the new verdict is kept)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from nanotui.engine.files import check_output_path, write_text_atomic
from nanotui.engine.history.store import RunStore
from nanotui.engine.report.data import FORMATS, report_for_run


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="write the report of a stored run", description=__doc__)
    p.add_argument("run_id", metavar="RUN_ID", help="a run id from `nanotui history` (a unique prefix will do)")
    p.add_argument("-o", "--output", type=Path, metavar="PATH", help="write to PATH instead of stdout")
    p.add_argument("--format", choices=FORMATS, help="md (default) or json; -o x.json implies json")
    p.add_argument("--judge", metavar="SPEC", help="judge the stored run with SPEC first and keep the verdict")
    return p


def output_format(path: Path | None, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    return "json" if path is not None and path.suffix.lower() == ".json" else "md"


def run(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_output_path(args.output, "--output")
    fmt = output_format(args.output, args.format)
    with RunStore() as store:
        run_id = store.resolve_run_id(args.run_id)
        if args.judge is not None:
            from nanotui.engine.run.service import judge_run
            from nanotui.engine.verdict.judge import choose_judge
            from nanotui.providers.registry import SdkProviders

            choice = choose_judge(args.judge)
            assert choice.model is not None  # an explicit --judge either resolves or raises
            print(f"nanotui: judging run {run_id} with {choice.spec}", file=sys.stderr)
            stored = store.load_run(run_id)
            rubric = stored.extra.get("plan", {}).get("rubric")
            verdict = asyncio.run(judge_run(stored, rubric, choice.model, providers=SdkProviders(), history=store))
            print(f"nanotui: judge {verdict.status}" + (f": {verdict.error}" if verdict.error else ""), file=sys.stderr)
        text = report_for_run(store, run_id, fmt)
    if args.output is None:
        sys.stdout.write(text)
    else:
        from nanotui.commands.guards import try_write

        return 0 if try_write("--output", args.output, run_id, lambda: write_text_atomic(args.output, text)) else 1
    return 0
