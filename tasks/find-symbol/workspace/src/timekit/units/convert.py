"""Converting between text durations and seconds."""

import re

SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
PART = re.compile(r"(\d+)([dhms])")


def to_seconds(amount: int, unit: str) -> int:
    """``amount`` of ``unit`` ("d", "h", "m" or "s") in seconds."""
    return amount * SECONDS[unit]


def parse_duration(text: str) -> int:
    """Seconds in a duration such as "1h30m" or "45s"."""
    text = text.strip().lower()
    parts = PART.findall(text)
    if not parts or "".join(a + u for a, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(to_seconds(int(amount), unit) for amount, unit in parts)
