"""``nanotui report RUN_ID``: the markdown (or JSON) report of a stored run, on stdout or
into a file. With ``--judge SPEC`` the stored run is judged first (the new verdict is kept)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nanotui.commands.args import help_text
from nanotui.commands.judging import add_judge_arguments, choose_from_args, judge_and_report
from nanotui.engine.files import check_output_path, write_text_atomic
from nanotui.engine.history.store import RunStore
from nanotui.engine.report.data import FORMATS, report_for_run


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="write the report of a stored run", description=help_text(__doc__))
    p.add_argument("run_id", metavar="RUN_ID", help="a run id from `nanotui history` (a unique prefix will do), or latest for the newest run")
    p.add_argument("-o", "--output", type=Path, metavar="PATH", help="write to PATH instead of stdout")
    p.add_argument("--format", choices=FORMATS, help="md (default) or json; -o x.json implies json")
    add_judge_arguments(p, with_off=False)
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
        if args.run_id.startswith("s-"):  # a suite's report
            from nanotui.engine.report.suite import suite_report

            suite_id = store.resolve_suite_id(args.run_id) or args.run_id
            text = suite_report(store, suite_id, fmt)
            if args.output is None:
                sys.stdout.write(text)
            else:
                write_text_atomic(args.output, text)
                print(f"nanotui: wrote {args.output}", file=sys.stderr)
            return 0
        run_id = store.resolve_run_id(args.run_id)
        if args.judge or args.jury:
            from nanotui.engine.run.service import judge_run
            from nanotui.providers.registry import SdkProviders

            choice = choose_from_args(args)
            stored = store.load_run(run_id)
            rubric = stored.extra.get("plan", {}).get("rubric")
            print(f"nanotui: judging run {run_id} with {choice.spec}", file=sys.stderr)
            judge_and_report(choice, stored, rubric, args.judge_passes, lambda: judge_run(
                stored, rubric, choice.models, providers=SdkProviders(), passes=args.judge_passes, history=store))
        text = report_for_run(store, run_id, fmt)
    if args.output is None:
        sys.stdout.write(text)
    else:
        from nanotui.commands.guards import try_write

        return 0 if try_write("--output", args.output, run_id, lambda: write_text_atomic(args.output, text)) else 1
    return 0
