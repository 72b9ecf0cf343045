"""Two to four agents' traces side by side, aligned by turn, and where their paths parted.

An agent's *path* is what it did, turn by turn: for each turn the sequence of
``(tool name, key argument)`` of the tool calls that turn asked for (a turn with no tool call
has an empty sequence). Two agents' paths part at the first turn where these differ, or where
one agent took a turn the other never took. Outcomes (✓/✗) and text are shown but not part of
the path: the same call failing in one workspace and not in the other is the same choice.

Runs recorded before tool calls kept their turn (``ToolCallRecord.turn == 0``) are aligned
call by call instead (``Comparison.by_call``): row N is each agent's N-th tool call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.events import Event, TextDelta, TurnFinished
from nanotui.engine.results import AgentResult, ToolCallRecord

MAX_AGENTS = 4
# The argument that says what a tool call was about, in order of preference: the path for the
# file tools, the pattern or query for search tools.
KEY_ARGUMENTS = ("file_path", "directory_path", "path", "pattern", "query", "command", "url")

PathStep = tuple[str, str]  # (tool name, key argument)


def key_argument(name: str, arguments: Mapping[str, Any]) -> str:
    """What a call was about: ``read_file`` → its path, a search → its pattern; ``.`` for a
    ``list_directory`` of the workspace itself; "" when no argument says it."""
    for key in KEY_ARGUMENTS:
        value = arguments.get(key)
        if value not in (None, ""):
            return str(value)
    return "." if name == "list_directory" else ""


@dataclass(frozen=True, slots=True)
class Step:
    """One tool call in a trace."""

    tool: str
    argument: str
    ok: bool

    @property
    def path_step(self) -> PathStep:
        return (self.tool, self.argument)


@dataclass(frozen=True, slots=True)
class TurnSteps:
    """What one agent did in one turn (or, aligned by call, in one call)."""

    turn: int
    steps: tuple[Step, ...] = ()
    text: str = ""  # the turn's text, when the stored events were given

    @property
    def path(self) -> tuple[PathStep, ...]:
        return tuple(s.path_step for s in self.steps)


@dataclass(frozen=True, slots=True)
class AgentTrace:
    agent_id: str
    display_name: str
    model: str
    status: str
    turns: tuple[TurnSteps, ...]
    final_answer: str = ""
    file_diffs: Mapping[str, str] = field(default_factory=dict)

    def at(self, turn: int) -> TurnSteps | None:
        """This agent's turn ``turn`` (1-based), None when it never took it."""
        return self.turns[turn - 1] if 0 < turn <= len(self.turns) else None

    @property
    def path(self) -> tuple[tuple[PathStep, ...], ...]:
        return tuple(t.path for t in self.turns)


@dataclass(frozen=True, slots=True)
class Comparison:
    agents: tuple[AgentTrace, ...]
    rows: int  # turns (or calls, when ``by_call``): the longest agent's
    first_divergence: int | None  # 1-based turn (or call) where the paths parted; None: same paths
    by_call: bool = False  # turn numbers were not recorded: aligned call by call


def first_divergence(paths: Sequence[Sequence[tuple[PathStep, ...]]]) -> int | None:
    """The first 1-based position where the paths differ; a position one path has and another
    lacks counts as a difference. None when they are all the same (or fewer than two)."""
    if len(paths) < 2:
        return None
    for i in range(max(len(p) for p in paths)):
        at = [p[i] if i < len(p) else None for p in paths]
        if any(x != at[0] for x in at[1:]):
            return i + 1
    return None


def _step(call: ToolCallRecord) -> Step:
    return Step(call.name, key_argument(call.name, call.arguments), call.ok)


def _has_turns(result: AgentResult) -> bool:
    return all(c.turn > 0 for c in result.tool_calls)


def _by_turn(result: AgentResult, texts: Mapping[int, str]) -> tuple[TurnSteps, ...]:
    last = max([result.turns, *(c.turn for c in result.tool_calls), *texts])
    steps: dict[int, list[Step]] = {}
    for call in result.tool_calls:
        steps.setdefault(call.turn, []).append(_step(call))
    return tuple(TurnSteps(t, tuple(steps.get(t, ())), texts.get(t, "")) for t in range(1, last + 1))


def _by_call(result: AgentResult) -> tuple[TurnSteps, ...]:
    return tuple(TurnSteps(i, (_step(c),)) for i, c in enumerate(result.tool_calls, start=1))


def compare_agents(results: Sequence[AgentResult], texts: Mapping[str, Mapping[int, str]] | None = None) -> Comparison:
    """Line up ``results`` (2 to 4, in the order given) turn by turn. ``texts`` optionally maps
    an agent id to its text per turn (see :func:`turn_texts`); without it a turn with no
    tool call shows nothing but the final answer row."""
    if not 2 <= len(results) <= MAX_AGENTS:
        raise ValueError(f"compare two to {MAX_AGENTS} agents, not {len(results)}")
    texts = texts or {}
    by_call = not all(_has_turns(r) for r in results)
    agents = tuple(
        AgentTrace(r.agent_id, r.display_name, r.model, r.status,
                   _by_call(r) if by_call else _by_turn(r, texts.get(r.agent_id, {})),
                   r.final_answer, dict(r.file_diffs))
        for r in results
    )
    return Comparison(agents, max(len(a.turns) for a in agents), first_divergence([a.path for a in agents]), by_call)


def turn_texts(events: Iterable[Event]) -> dict[int, str]:
    """One agent's text per turn from its stored events: the text deltas before each
    ``TurnFinished`` belong to that turn. Turns with no text are left out."""
    texts: dict[int, str] = {}
    pending: list[str] = []
    for event in events:
        if isinstance(event, TextDelta):
            pending.append(event.text)
        elif isinstance(event, TurnFinished):
            text = "".join(pending).strip()
            if text:
                texts[event.turn] = text
            pending = []
    return texts
