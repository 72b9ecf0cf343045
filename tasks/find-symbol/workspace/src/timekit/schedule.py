"""Recurring jobs: run something every N seconds."""

from dataclasses import dataclass

from timekit.units.convert import parse_duration


@dataclass
class Job:
    name: str
    every_s: int


def parse_durations(texts: list[str]) -> list[int]:
    """Several durations at once; see parse_duration for the format."""
    return [parse_duration(t) for t in texts]


def job(name: str, every: str) -> Job:
    return Job(name, parse_duration(every))
