"""How money, seconds and counts are written, the same in the CLI, the app and the reports."""

from __future__ import annotations


def usd(value: float | None, unknown: str = "?") -> str:
    """``$0.0123`` (four decimals, six under a hundredth of a cent); ``unknown`` when the
    price is not known (never ``$0``: an unknown price is not free)."""
    if value is None:
        return unknown
    if value == 0:
        return "$0"
    return f"${value:.4f}" if value >= 0.0001 else f"${value:.6f}"


def secs(value: float | None, missing: str = "-") -> str:
    return missing if value is None else f"{value:.2f}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 tool call``, ``3 tool calls``."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
