"""What ``nanotui run`` checks before any agent starts, and how it writes its output files
at the end: conflicting flags, output paths tried for real, a confirmation for a large run
(with its first-turn cost estimate), a word about models whose price is unknown, and a
failed output write that says so in one line without losing the run (it is in history)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from nanotui.commands.judging import check_judge_flags
from nanotui.engine.errors import ConfigError
from nanotui.engine.files import check_output_path
from nanotui.engine.numbers import usd
from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.roster.spec import ModelSpec

LARGE_RUN = 200  # agents; more than this needs --yes or a "y" at the terminal


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", "-y", action="store_true",
                   help=f"start a run of more than {LARGE_RUN} agents without asking")


def check_args(args: argparse.Namespace) -> None:
    """Flags that contradict each other, and output paths that cannot be written."""
    check_judge_flags(args)
    for path, flag in ((args.json, "--json"), (args.report, "--report")):
        if path is not None:
            check_output_path(path, flag)


def first_turn_estimate(specs: list[ModelSpec], prompt: str) -> tuple[float, int]:
    """The summed minimum cost of every agent's first turn, and how many agents have no price."""
    from nanotui.engine.agent.first_turn import first_turn_min_cost

    per_model: dict[str, float | None] = {}
    total, unknown = 0.0, 0
    for spec in specs:
        if spec.spec not in per_model:
            per_model[spec.spec] = first_turn_min_cost(spec, prompt)
        cost = per_model[spec.spec]
        if cost is None:
            unknown += 1
        else:
            total += cost
    return total, unknown


def confirm_size(specs: list[ModelSpec], prompt: str, yes: bool) -> None:
    """A run of more than :data:`LARGE_RUN` agents needs ``--yes`` or a confirmation."""
    if len(specs) <= LARGE_RUN or yes:
        return
    total, unknown = first_turn_estimate(specs, prompt)
    cost = f"first turns alone at least {usd(total)}" + (f", {unknown} agent(s) of unknown price" if unknown else "")
    what = f"a run of {len(specs)} agents ({cost})"
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise ConfigError(f"--trials/--model: {what} needs --yes to start")
    print(f"nanotui: {what}. Start it? [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise ConfigError(f"{what}: not started")


def price_notes(specs: list[ModelSpec]) -> list[str]:
    """One line per model whose price genai-prices does not know, named before the run."""
    from nanotui.engine.roster.pricing import known_price

    roster = load_roster()
    lines = []
    for spec in {s.spec: s for s in specs}.values():
        if known_price(spec.provider, spec.model, spec.price_as) is None:
            hint = roster.suggest(spec)
            lines.append(f"price unknown for {spec.spec}: its cost shows as ?" + (f" ({hint})" if hint else ""))
    return lines


def try_write(flag: str, path: Path, run_id: str, write: Callable[[], object]) -> bool:
    """Write an output file at the end of a run; a failure is one line, and the run is safe in history."""
    try:
        write()
    except OSError as exc:
        print(f"nanotui: error: {flag} {path}: could not write it ({exc.strerror or exc}); "
              f"the run is kept in history: nanotui report {run_id}", file=sys.stderr)
        return False
    print(f"nanotui: wrote {path}", file=sys.stderr)
    return True
