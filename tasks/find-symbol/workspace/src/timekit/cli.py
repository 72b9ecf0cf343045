"""Command line: ``timekit 1h30m`` prints the number of seconds."""

import sys

from timekit import format_duration, parse_duration


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: timekit DURATION", file=sys.stderr)
        return 2
    seconds = parse_duration(args[0])
    print(seconds, format_duration(seconds))
    return 0
