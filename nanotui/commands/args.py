"""Argument types shared by the subcommands; their errors name the flag (argparse adds it)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def positive_int(flag: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} expects a whole number, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} expects a number of at least 1, got {value}")
        return value

    return parse


def positive_float(flag: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} expects a number, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{flag} expects a positive number, got {text}")
        return value

    return parse


def key_value(text: str) -> tuple[str, str]:
    """``--var KEY=VALUE``."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--var expects KEY=VALUE, got {text!r}")
    return key, value


def help_text(doc: str | None) -> str:
    """A module docstring as ``--help`` shows it: plain text, no reStructuredText markup."""
    return (doc or "").replace("``", "").strip()
