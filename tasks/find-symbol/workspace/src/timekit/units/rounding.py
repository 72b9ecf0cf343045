"""Rounding durations to a unit, e.g. to bill whole minutes."""

from timekit.units.convert import SECONDS


def round_up(seconds: int, unit: str = "m") -> int:
    step = SECONDS[unit]
    return -(-seconds // step) * step
