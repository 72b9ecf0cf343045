"""Emulated tool calling, for models whose native tool calls are unreliable.

Every model step is constrained (JSON schema / grammar) to one *action*: a JSON object
naming one of the five tools with its arguments, or the final answer::

    {"action": "read_file", "file_path": "README.md"}
    {"action": "final_answer", "notes": "The file says the word is PLUM.", "answer": "PLUM"}

A provider turns the neutral transcript into chat messages plus the action schema
(:func:`build_request`), sends them to its runtime with the schema as the output
constraint, and turns the action back into an ordinary :class:`AssistantMessage` — with
a :class:`ToolCall` (ids ``emu_<turn>``) or with the final text (:func:`parse_action`).
The agent loop, the tools, the sandbox and the events are exactly those of native calls.
:class:`ActionStream` turns the action's JSON, as it generates, into stream events: the
tool name and argument pieces, or the notes (as reasoning) and the answer's text.

Why this shape (tuned on Qwen2.5-Coder-1.5B, greedy): ``final_answer`` comes first in the
schema and the action list, or a small model reaches for a tool it does not need; the
final answer starts with ``notes`` (the facts it needs, written out) because answers
written straight into a JSON string lose facts the model knows; tool actions carry no
such field, to keep each tool step short.

Used by the on-device ``local:`` provider; also usable by any chat runtime that accepts a
JSON schema for its output (e.g. Ollama's ``format``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.agent.stream import StreamEvent, StreamReasoning, StreamText, StreamToolCallDelta
from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.agent.transcript import AssistantMessage, Message, ToolCall, ToolResultMessage, UserMessage

ACTION_KEY = "action"
FINAL = "final_answer"
NOTES_KEY = "notes"
NOTES_MAX_CHARS = 400  # notes are facts, not a draft of the answer (that would double its cost)
ANSWER_KEY = "answer"
CALL_ID_PREFIX = "emu_"
RAW_ITEM = "emulated_action"  # AssistantMessage.provider_items key: the action as generated

FINAL_LINE = (
    f"- {FINAL}: Finish the task. Arguments: {NOTES_KEY}: the facts the answer needs (from the task, "
    f"your knowledge and the tool results); {ANSWER_KEY}: the exact reply text the user gets, in exactly "
    "the format the task asks for (when the task asks for a JSON reply, this string holds that JSON)."
)


def action_schema(tools: list[ToolDef] | tuple[ToolDef, ...]) -> dict[str, Any]:
    """The JSON schema every step's output must match: the final answer or one tool call."""
    variants: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {
                ACTION_KEY: {"const": FINAL},
                NOTES_KEY: {"type": "string", "maxLength": NOTES_MAX_CHARS},
                ANSWER_KEY: {"type": "string"},
            },
            "required": [ACTION_KEY, NOTES_KEY, ANSWER_KEY],
            "additionalProperties": False,
        }
    ]
    for tool in tools:
        params = tool.parameters.get("properties", {})
        props: dict[str, Any] = {ACTION_KEY: {"const": tool.name}}
        props.update({name: {"type": "string"} for name in params})
        variants.append(
            {
                "type": "object",
                "properties": props,
                "required": [ACTION_KEY, *tool.parameters.get("required", [])],
                "additionalProperties": False,
            }
        )
    return {"anyOf": variants}


def action_instructions(tools: list[ToolDef] | tuple[ToolDef, ...]) -> str:
    """What the system prompt adds for emulation: the action format, action by action."""
    lines = [
        "",
        "## How to act",
        "Reply with exactly one JSON object per step, nothing else:",
        f'{{"{ACTION_KEY}": "<action name>", <the action\'s arguments>}}',
        "After a tool action you get the tool's result, then you reply with the next action.",
        "",
        "Actions (all arguments are strings):",
        FINAL_LINE,
    ]
    for tool in tools:
        props = tool.parameters.get("properties", {})
        required = set(tool.parameters.get("required", []))
        args = ", ".join(
            f"{name}{'' if name in required else ' (optional)'}: {spec.get('description', '')}".rstrip(": ")
            for name, spec in props.items()
        )
        lines.append(f"- {tool.name}: {tool.description} Arguments: {args or 'none'}")
    lines += [
        "",
        "Use a tool when you need something from the workspace. When you have what the task",
        f"needs, or it needs no files, use {FINAL}.",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class EmulatedRequest:
    """Chat messages (OpenAI-style role/content dicts, system first) and the output schema."""

    messages: list[dict[str, str]]
    schema: dict[str, Any]
    call_id: str  # the id the next tool call gets


def next_call_id(messages: list[Message]) -> str:
    """``emu_<turn>``, the turn being the number of this assistant step (1-based)."""
    turn = 1 + sum(1 for m in messages if isinstance(m, AssistantMessage))
    return f"{CALL_ID_PREFIX}{turn}"


def render_action(message: AssistantMessage) -> str:
    """The assistant step as the model wrote it (replayed verbatim keeps the runtime's
    prompt cache valid), or a canonical action for messages from elsewhere."""
    items = message.provider_items
    if isinstance(items, dict) and isinstance(items.get(RAW_ITEM), str):
        return items[RAW_ITEM]
    if message.tool_calls:
        call = message.tool_calls[0]
        args = call.arguments if call.arguments is not None else {}
        return json.dumps({ACTION_KEY: call.name, **args}, ensure_ascii=False)
    action = {ACTION_KEY: FINAL, NOTES_KEY: message.reasoning, ANSWER_KEY: message.text}
    return json.dumps(action, ensure_ascii=False)


def render_result(result: ToolResultMessage, repeated: bool = False) -> str:
    head = f"Error from {result.name}:" if result.is_error else f"Result of {result.name}:"
    # Greedy small models tend to repeat a call whose result they already have.
    note = (
        "\n\n(You have made this exact call before. Do not repeat it: use the results you have.)"
        if repeated
        else ""
    )
    return (
        f"{head}\n{result.content}{note}\n\n"
        f"Reply with the next action as one JSON object: {FINAL} when you have what the task needs, "
        "or another tool call."
    )


def build_request(
    system: str, messages: list[Message], tools: list[ToolDef] | tuple[ToolDef, ...]
) -> EmulatedRequest:
    """The neutral transcript as chat messages for a runtime without native tool calls.

    The system prompt is the shared one plus the action format; tool results come back as
    user messages (these runtimes have no tool role to rely on).
    """
    out: list[dict[str, str]] = [{"role": "system", "content": system + action_instructions(tools)}]
    seen: set[str] = set()
    calls: dict[str, str] = {}  # call id -> the call's name and arguments, to spot repeats
    for m in messages:
        if isinstance(m, UserMessage):
            out.append({"role": "user", "content": m.text})
        elif isinstance(m, AssistantMessage):
            out.append({"role": "assistant", "content": render_action(m)})
            for call in m.tool_calls:
                calls[call.id] = f"{call.name} {call.raw_arguments}"
        elif isinstance(m, ToolResultMessage):
            key = calls.get(m.call_id, "")
            out.append({"role": "user", "content": render_result(m, repeated=bool(key) and key in seen)})
            seen.add(key)
    return EmulatedRequest(out, action_schema(tools), next_call_id(messages))


def parse_action(raw: str, call_id: str) -> AssistantMessage:
    """The generated action as an AssistantMessage: a tool call or the final answer (its
    notes kept as the message's reasoning).

    Output cut short (the step hit its token limit) becomes a tool call whose arguments
    are ``None``: the agent loop answers it with an error and the model gets another try.
    """
    items = {RAW_ITEM: raw}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict) or not isinstance(value.get(ACTION_KEY), str):
        name = _partial_name(raw) or "unknown_action"
        return AssistantMessage(tool_calls=[ToolCall(call_id, name, raw, None)], provider_items=items)
    name = value.pop(ACTION_KEY)
    if name == FINAL:
        answer, notes = value.get(ANSWER_KEY, ""), value.get(NOTES_KEY, "")
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        return AssistantMessage(text=text, reasoning=notes if isinstance(notes, str) else "", provider_items=items)
    # Unknown names or arguments reach the toolbox, which answers them with an error result.
    args = json.dumps(value, ensure_ascii=False)
    return AssistantMessage(tool_calls=[ToolCall(call_id, name, args, value)], provider_items=items)


_NAME_RE = re.compile(r'"' + ACTION_KEY + r'"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _partial_name(raw: str) -> str | None:
    match = _NAME_RE.search(raw)
    if match is None:
        return None
    try:
        return json.loads(f'"{match.group(1)}"')
    except ValueError:
        return None


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass
class _StringField:
    """Decodes one string field of a JSON object while the object is still being written."""

    key: str
    _start_re: re.Pattern[str] = field(init=False, repr=False)
    _pos: int | None = None  # index in the buffer of the next undecoded character
    _done: bool = False
    _high: str = ""  # a UTF-16 high surrogate waiting for its pair

    def __post_init__(self) -> None:
        self._start_re = re.compile(r'"' + re.escape(self.key) + r'"\s*:\s*"')

    def decode(self, buf: str) -> str:
        """The characters of the field's value that ``buf`` adds since the last call."""
        if self._done:
            return ""
        if self._pos is None:
            match = self._start_re.search(buf)
            if match is None:
                return ""
            self._pos = match.end()
        i, out = self._pos, []
        while i < len(buf):
            ch = buf[i]
            if ch == '"':
                self._done = True
                i += 1
                break
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            if i + 1 >= len(buf):
                break  # the escape continues in the next delta
            esc = buf[i + 1]
            if esc != "u":
                out.append(_ESCAPES.get(esc, esc))
                i += 2
                continue
            if i + 6 > len(buf):
                break
            code = int(buf[i + 2 : i + 6], 16)
            i += 6
            if 0xD800 <= code < 0xDC00:
                self._high = chr(code)
            elif 0xDC00 <= code < 0xE000 and self._high:
                out.append((self._high + chr(code)).encode("utf-16", "surrogatepass").decode("utf-16"))
                self._high = ""
            else:
                out.append(chr(code))
        self._pos = i
        return "".join(out)


@dataclass
class ActionStream:
    """Turns an action's JSON text, as it generates, into stream events.

    A tool call shows as a :class:`StreamToolCallDelta` with the name as soon as it is
    known, then the raw pieces that follow; a final answer shows its notes as
    :class:`StreamReasoning` and its answer as :class:`StreamText`, decoded (escapes
    resolved) as they arrive.
    """

    buffer: str = ""
    name: str | None = None
    _notes: _StringField = field(default_factory=lambda: _StringField(NOTES_KEY))
    _answer: _StringField = field(default_factory=lambda: _StringField(ANSWER_KEY))

    def feed(self, delta: str) -> list[StreamEvent]:
        self.buffer += delta
        events: list[StreamEvent] = []
        if self.name is None:
            self.name = _partial_name(self.buffer)
            if self.name is None:
                return events
            if self.name != FINAL:
                return [StreamToolCallDelta(0, name=self.name)]
        if self.name != FINAL:
            return [StreamToolCallDelta(0, arguments_delta=delta)]
        notes = self._notes.decode(self.buffer)
        if notes:
            events.append(StreamReasoning(notes))
        answer = self._answer.decode(self.buffer)
        if answer:
            events.append(StreamText(answer))
        return events
