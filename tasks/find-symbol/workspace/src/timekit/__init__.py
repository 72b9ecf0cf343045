"""timekit: durations and schedules."""

from timekit.units.convert import parse_duration
from timekit.units.format import format_duration

__all__ = ["format_duration", "parse_duration"]
__version__ = "1.3.0"
