"""The judge flags shared by ``nanotui run`` and ``nanotui report``: who judges, how many
passes, and the lines that say what the jury cost and decided."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from nanotui.commands.args import positive_int
from nanotui.engine.errors import ConfigError
from nanotui.engine.numbers import usd
from nanotui.engine.results import RunResult
from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.verdict.jury import DEFAULT_PASSES, Jury, JuryChoice, choose_jury, default_jury, estimate_cost
from nanotui.engine.verdict.verdict import Verdict
from nanotui.providers.registry import SdkProviders


def add_judge_arguments(p: argparse.ArgumentParser, *, with_off: bool = True) -> None:
    p.add_argument("--judge", action="append", default=[], metavar="SPEC",
                   help="a juror (repeat for a jury); default anthropic:claude-opus-4-1 or $NANOTUI_JUDGE "
                   "(comma-separated for several)")
    p.add_argument("--jury", action="store_true",
                   help="a jury of up to three ready models from different vendors (see docs/grading.md)")
    p.add_argument("--judge-passes", type=positive_int("--judge-passes"), default=DEFAULT_PASSES, metavar="N",
                   help="1 or 2 (default 2: every juror grades in the shuffled order and in its reverse)")
    if with_off:
        p.add_argument("--no-judge", action="store_true", help="grade from the task's checks only")


def check_judge_flags(args: argparse.Namespace) -> None:
    """Judge flags that contradict each other: one line, before any work starts."""
    if getattr(args, "no_judge", False) and (args.judge or args.jury):
        raise ConfigError("--no-judge cannot go with --judge or --jury: pick one")
    if args.judge and args.jury:
        raise ConfigError("--judge and --jury both choose the jurors: pick one")
    if args.judge_passes > 2:
        raise ConfigError(f"--judge-passes {args.judge_passes}: expected 1 or 2")


def choose_from_args(args: argparse.Namespace) -> JuryChoice:
    """The jury the flags ask for; conflicting flags are one-line errors."""
    check_judge_flags(args)
    off = getattr(args, "no_judge", False)
    if args.jury:
        return _ready_jury()
    return choose_jury(args.judge or None, disabled=off)


def _ready_jury() -> JuryChoice:
    from nanotui.providers.readiness import check_all_sync

    roster = load_roster()
    entries = list(roster.entries.values())
    ready = {r.spec for r in check_all_sync(entries) if r.ready}
    choice = default_jury([e for e in entries if e.spec in ready])
    if not choice.models:
        raise ConfigError(f"--jury: {choice.note}")
    return choice


def judge_and_report(
    choice: JuryChoice, run: RunResult, rubric: str | None, passes: int, judge: Callable[[], Coroutine[Any, Any, Verdict | None]]
) -> Verdict | None:
    """Say what the jury will cost, run ``judge()``, then say
    what it decided. ``None`` when there is no jury or nothing to judge."""
    if not choice.models:
        return None
    jury = Jury(list(choice.models), providers=SdkProviders(), passes=passes)
    costs = estimate_cost(jury, run, rubric)
    known = [c for c in costs.values() if c is not None]
    total = usd(sum(known)) if len(known) == len(costs) else "unknown"
    per = ", ".join(f"{spec} ≥{usd(c)}" for spec, c in costs.items())
    print(f"nanotui: judging with {len(costs)} juror(s) x {passes} pass(es): at least {total} ({per}); "
          "kept apart from the models' costs", file=sys.stderr)
    verdict: Verdict | None = asyncio.run(judge())
    if verdict is not None:
        print(f"nanotui: {verdict_line(verdict)}", file=sys.stderr)
    return verdict


def verdict_line(v: Verdict) -> str:
    parts = [f"judge {v.status}, {usd(v.cost_usd)} (not in the models' costs)"]
    if len(v.jurors) > 1:
        a = v.agreement
        parts.append(f"agreement α={a.value:.2f}" + (" LOW" if a.low else "") if a.value is not None
                     else f"agreement: {a.reason}")
    if v.position_consistency is not None:
        parts.append(f"position consistency {v.position_consistency:.0%}")
    failed = v.failed_jurors
    if failed:
        parts.append("left out: " + "; ".join(f"{j.spec} ({j.error})" for j in failed))
    shared = [p for p in v.self_preference if not p.get("excluded")]
    if shared:
        parts.append("same vendor as its judge: " + ", ".join(f"{p['agent_id']} ({p['juror']})" for p in shared))
    if v.error and not failed:
        parts.append(v.error)
    return "; ".join(parts)
