"""Checks on how the agent worked: which tools it used (or not) and how many turns it took.

Each function takes the check context and the check's parameters and returns (passed, detail)."""

from __future__ import annotations

from typing import Any

from nanotui.engine.tasks.checks.compare import call_matches, show
from nanotui.engine.tasks.checks.spec import CheckContext


def tool_used(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    want_args = p.get("args") or {}
    calls = [c for c in ctx.result.tool_calls if c.name == p["tool"]]
    good = [c for c in calls if c.ok and call_matches(c.arguments, want_args)]
    needed = p["min_times"]
    where = f" with {show(want_args)}" if want_args else ""
    if len(good) >= needed:
        return True, f"{p['tool']}{where} succeeded {len(good)} time(s)"
    if not calls:
        return False, f"{p['tool']} was never called"
    return False, f"{p['tool']}{where} succeeded {len(good)} time(s), expected at least {needed} ({len(calls)} call(s) in all)"


def tool_not_used(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    calls = [c for c in ctx.result.tool_calls if c.name == p["tool"]]
    if calls:
        first = calls[0].arguments.get("file_path") or calls[0].arguments.get("directory_path") or ""
        return False, f"{p['tool']} was called {len(calls)} time(s)" + (f", first on {first!r}" if first else "")
    return True, f"{p['tool']} was not called"


def max_turns(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    turns = ctx.result.turns
    if turns <= p["max"]:
        return True, f"{turns} turn(s), at most {p['max']} allowed"
    return False, f"{turns} turns, at most {p['max']} allowed"
