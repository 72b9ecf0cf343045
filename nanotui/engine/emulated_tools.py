"""Emulated tool calling, for models whose native tool calls are unreliable.

Every model step is constrained (JSON schema / grammar) to one *action*: a JSON object
naming one of the five tools with its arguments, or a final answer::

    {"tool": "read_file", "file_path": "README.md"}
    {"tool": "final_answer", "answer": "The secret word is PLUM."}

A provider turns the neutral transcript into chat messages plus the action schema
(:func:`build_request`), sends them to its runtime with the schema as the output
constraint, and turns the action back into an ordinary :class:`AssistantMessage` — with
a :class:`ToolCall` (ids ``emu_<turn>``) or with the final text (:func:`parse_action`).
The agent loop, the tools, the sandbox and the events are exactly those of native calls.
:class:`ActionStream` turns the action's JSON, as it generates, into stream events: the
tool name and argument pieces, or the answer's text.

Used by the on-device ``local:`` provider; also usable by any chat runtime that accepts a
JSON schema for its output (e.g. Ollama's ``format``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.stream import StreamEvent, StreamText, StreamToolCallDelta
from nanotui.engine.tools import ToolDef
from nanotui.engine.transcript import (
    AssistantMessage,
    Message,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

ACTION_KEY = "tool"
FINAL = "final_answer"
ANSWER_KEY = "answer"
CALL_ID_PREFIX = "emu_"
RAW_ITEM = "emulated_action"  # AssistantMessage.provider_items key: the action as generated


def action_schema(tools: list[ToolDef] | tuple[ToolDef, ...]) -> dict[str, Any]:
    """The JSON schema every step's output must match: one tool call or the final answer."""
    variants: list[dict[str, Any]] = []
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
    variants.append(
        {
            "type": "object",
            "properties": {ACTION_KEY: {"const": FINAL}, ANSWER_KEY: {"type": "string"}},
            "required": [ACTION_KEY, ANSWER_KEY],
            "additionalProperties": False,
        }
    )
    return {"anyOf": variants}


def action_instructions(tools: list[ToolDef] | tuple[ToolDef, ...]) -> str:
    """What the system prompt adds for emulation: the action format, tool by tool."""
    lines = [
        "",
        "## How to act",
        "Each reply is exactly one JSON object, nothing else. To use a tool, reply",
        '{"tool": "<tool name>", <its arguments>}; you then get the tool\'s result and reply again.',
        "When the task is complete, reply",
        '{"tool": "final_answer", "answer": "<your final answer as plain text>"}.',
        "",
        "Tools and their arguments (all strings):",
    ]
    for tool in tools:
        props = tool.parameters.get("properties", {})
        required = set(tool.parameters.get("required", []))
        args = ", ".join(
            f"{name}{'' if name in required else ' (optional)'}: {spec.get('description', '')}".rstrip(": ")
            for name, spec in props.items()
        )
        lines.append(f"- {tool.name}: {tool.description} Arguments: {args or 'none'}")
    example = next((t for t in tools if "file_path" in t.parameters.get("properties", {})), None)
    lines += ["", "Examples:"]
    if example is not None:
        lines.append(json.dumps({ACTION_KEY: example.name, "file_path": "notes/todo.txt"}))
    lines.append(json.dumps({ACTION_KEY: FINAL, ANSWER_KEY: "The file lists 3 open items."}))
    lines.append(
        "Read files before answering questions about them. The answer is what the user sees: "
        "give it in exactly the format the task asks for."
    )
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
    return json.dumps({ACTION_KEY: FINAL, ANSWER_KEY: message.text}, ensure_ascii=False)


def render_result(result: ToolResultMessage) -> str:
    head = f"Error from {result.name}:" if result.is_error else f"Result of {result.name}:"
    return (
        f"{head}\n{result.content}\n\n"
        'Reply with the next action as one JSON object (a tool call, or {"tool": "final_answer", ...} '
        "when the task is complete)."
    )


def build_request(
    system: str, messages: list[Message], tools: list[ToolDef] | tuple[ToolDef, ...]
) -> EmulatedRequest:
    """The neutral transcript as chat messages for a runtime without native tool calls.

    The system prompt is the shared one plus the action format; tool results come back as
    user messages (these runtimes have no tool role to rely on).
    """
    out: list[dict[str, str]] = [{"role": "system", "content": system + action_instructions(tools)}]
    for m in messages:
        if isinstance(m, UserMessage):
            out.append({"role": "user", "content": m.text})
        elif isinstance(m, AssistantMessage):
            out.append({"role": "assistant", "content": render_action(m)})
        elif isinstance(m, ToolResultMessage):
            out.append({"role": "user", "content": render_result(m)})
    return EmulatedRequest(out, action_schema(tools), next_call_id(messages))


def parse_action(raw: str, call_id: str) -> AssistantMessage:
    """The generated action as an AssistantMessage: a tool call or the final answer.

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
        answer = value.get(ANSWER_KEY, "")
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        return AssistantMessage(text=text, provider_items=items)
    # Unknown names or arguments reach the toolbox, which answers them with an error result.
    args = json.dumps(value, ensure_ascii=False)
    return AssistantMessage(tool_calls=[ToolCall(call_id, name, args, value)], provider_items=items)


_NAME_RE = re.compile(r'"' + ACTION_KEY + r'"\s*:\s*"((?:[^"\\]|\\.)*)"')
_ANSWER_START_RE = re.compile(r'"' + ANSWER_KEY + r'"\s*:\s*"')


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
class ActionStream:
    """Turns an action's JSON text, as it generates, into stream events.

    A tool call shows as a :class:`StreamToolCallDelta` with the name as soon as it is
    known, then the raw pieces that follow; a final answer shows as :class:`StreamText`
    with the answer's decoded characters (escapes resolved), as they arrive.
    """

    buffer: str = ""
    name: str | None = None
    _answer_pos: int | None = None  # index in buffer of the next undecoded answer char
    _answer_done: bool = False
    _pending_high: str = field(default="", repr=False)  # a UTF-16 high surrogate awaiting its pair

    def feed(self, delta: str) -> list[StreamEvent]:
        self.buffer += delta
        events: list[StreamEvent] = []
        if self.name is None:
            name = _partial_name(self.buffer)
            if name is None:
                return events
            self.name = name
            if name != FINAL:
                events.append(StreamToolCallDelta(0, name=name))
                return events
        if self.name != FINAL:
            events.append(StreamToolCallDelta(0, arguments_delta=delta))
            return events
        text = self._decode_answer()
        if text:
            events.append(StreamText(text))
        return events

    def _decode_answer(self) -> str:
        if self._answer_done:
            return ""
        if self._answer_pos is None:
            match = _ANSWER_START_RE.search(self.buffer)
            if match is None:
                return ""
            self._answer_pos = match.end()
        buf, i, out = self.buffer, self._answer_pos, []
        while i < len(buf):
            ch = buf[i]
            if ch == '"':
                self._answer_done = True
                i += 1
                break
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            if i + 1 >= len(buf):
                break  # the escape continues in the next delta
            esc = buf[i + 1]
            if esc == "u":
                if i + 6 > len(buf):
                    break
                code = int(buf[i + 2 : i + 6], 16)
                i += 6
                if 0xD800 <= code < 0xDC00:
                    self._pending_high = chr(code)
                    continue
                if 0xDC00 <= code < 0xE000 and self._pending_high:
                    pair = (self._pending_high + chr(code)).encode("utf-16", "surrogatepass")
                    out.append(pair.decode("utf-16"))
                    self._pending_high = ""
                    continue
                out.append(chr(code))
            else:
                out.append(_ESCAPES.get(esc, esc))
                i += 2
        self._answer_pos = i
        return "".join(out)
