"""``nanotui replay RUN_ID [--speed N|max]``: open the app on the arena replaying a stored run
from its recorded events, on their original times divided by ``--speed``. Nothing is sent to
any model and nothing is written to the history. A unique prefix of the run id is enough;
``latest`` is the newest run."""

from __future__ import annotations

import argparse

from nanotui.commands.args import help_text
from nanotui.engine.errors import ConfigError
from nanotui.engine.history.store import RunStore


def speed(text: str) -> float | None:
    """``--speed``: a positive number (2 = twice as fast), or ``max`` (``None``)."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--speed expects a positive number or max, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"--speed expects a positive number or max, got {text}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("replay", help="replay a stored run in the arena", description=help_text(__doc__))
    p.add_argument("run_id", metavar="RUN_ID",
                   help="a run id from `nanotui history` (a unique prefix will do), or latest for the newest run")
    p.add_argument("--speed", type=speed, default=1.0, metavar="N|max",
                   help="how many times faster than it ran (default 1; 0.5 is half speed); max: as fast as the "
                        "screen takes the events")
    return p


def suite_error(store: RunStore, text: str) -> ConfigError | None:
    """A suite id given where a run is wanted: say how to pick one of its runs."""
    if not text.startswith("s-"):
        return None
    suite_id = store.resolve_suite_id(text)
    if suite_id is None:
        return ConfigError(f"RUN_ID {text!r}: no stored suite has this id (see `nanotui history`)")
    runs = store.load_suite(suite_id).run_ids
    first = f", e.g. nanotui replay {runs[0]}" if runs else ""
    return ConfigError(f"RUN_ID {suite_id}: a suite, not a run; replay one of its runs "
                       f"(`nanotui show {suite_id}` lists them{first})")


def run(args: argparse.Namespace) -> int:
    # Everything is read before the app takes the screen, so a bad id is one line here.
    with RunStore() as store:
        problem = suite_error(store, args.run_id.strip())
        if problem is not None:
            raise problem
        run_id = store.resolve_run_id(args.run_id)
        stored = store.load_run(run_id)
        events = store.events(run_id)
    from nanotui.ui.app import Replay, run_app

    return run_app(Replay(stored, events, args.speed))
