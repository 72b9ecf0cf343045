"""Formatting seconds as text: the inverse of parse_duration for whole minutes."""

from timekit.units.convert import SECONDS


def format_duration(seconds: int) -> str:
    """``5400`` -> ``"1h30m"``; zero is ``"0s"``."""
    if seconds == 0:
        return "0s"
    out = []
    for unit in "dhms":
        amount, seconds = divmod(seconds, SECONDS[unit])
        if amount:
            out.append(f"{amount}{unit}")
    return "".join(out)
