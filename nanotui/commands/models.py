"""``nanotui models``: the roster, whether each model can run here, and what it costs.

Readiness is checked for every entry in parallel (about 1 s at most); cloud APIs are
never called, so this is free and works offline.
"""

from __future__ import annotations

import argparse
import json

from nanotui.commands.args import help_text
from nanotui.commands.format import table


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("models", help="list the model roster with readiness and $/Mtok", description=help_text(__doc__))
    p.add_argument("--json", action="store_true", help="print the roster and readiness as JSON")
    return p


def per_mtok(value: float | None) -> str:
    if value is None:
        return "?"
    if value == 0:
        return "$0"
    return f"${value:.4g}"


def run(args: argparse.Namespace) -> int:
    from nanotui.engine.roster.roster_file import load_roster
    from nanotui.providers.readiness import check_all_sync

    roster = load_roster()
    results = check_all_sync(list(roster.entries.values()))
    if args.json:
        print(json.dumps({"sources": roster.sources, "models": [r.to_dict() for r in results]}, indent=2))
        return 0
    headers = ["name", "spec", "display name", "in $/Mtok", "out $/Mtok", "status", "why", "what to do"]
    rows = [
        [r.name, r.spec, r.display_name, per_mtok(r.price_in), per_mtok(r.price_out),
         r.state, r.detail, r.action or ""]
        for r in results
    ]
    print(table(headers, rows, right={3, 4}))
    ready = sum(r.ready for r in results)
    print(f"\n{ready} of {len(results)} ready · roster: {' + '.join(roster.sources)} · prices: {_price_source()}")
    return 0


def _price_source() -> str:
    from nanotui.engine.roster.pricing import price_source

    try:
        return price_source()
    except Exception:
        return "genai-prices"
