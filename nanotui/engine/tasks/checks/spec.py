"""What a check is: its task-file spec, the context it runs on, and its type's parameter table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nanotui.engine.results import AgentResult

JSON_SCALARS = (str, int, float, bool, list, dict)


@dataclass(frozen=True)
class CheckSpec:
    """One check as written in a task file: its type, its display name and its parameters."""

    type: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_command(self) -> bool:
        return self.type == "command"


@dataclass
class CheckContext:
    answer: str
    result: AgentResult
    workspace_root: Path
    original_root: Path | None


# -- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    types: tuple[type, ...]
    required: bool = True
    default: Any = None
    role: str = ""  # "regex" | "path" | "command" | "field": extra validation in tasks.py

    def type_ok(self, value: Any) -> bool:
        # TOML has real booleans; True is an int in Python but never a number here.
        if isinstance(value, bool):
            return bool in self.types
        if isinstance(value, int) and float in self.types:
            return True
        return isinstance(value, self.types)

    def type_names(self) -> str:
        names = {str: "string", int: "integer", float: "number", bool: "true/false",
                 list: "array", dict: "table"}
        return " or ".join(names[t] for t in self.types)


def required(*types: type, role: str = "") -> Param:
    return Param(types, role=role)


def optional(default: Any, *types: type, role: str = "") -> Param:
    return Param(types, required=False, default=default, role=role)


IGNORE_CASE = optional(False, bool)


@dataclass(frozen=True)
class CheckKind:
    type: str
    group: str  # answer | workspace | behaviour | command
    summary: str  # one line for the docs and `nanotui tasks show`
    params: dict[str, Param]
    run: Callable[[CheckContext, dict[str, Any]], tuple[bool, str]]
    default_name: Callable[[dict[str, Any]], str]
