"""The parser from timekit 0.x, kept for callers that still pass minutes as numbers.

# def parse_duration(text):   <- the old name; it was renamed below in 1.0
"""


def parse_duration_legacy(value) -> int:
    """Numbers are minutes; strings go through the new parser."""
    if isinstance(value, (int, float)):
        return int(value * 60)
    from timekit.units.convert import parse_duration

    return parse_duration(value)
