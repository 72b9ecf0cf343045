"""One tool call as the arena shows it: the tool, its key argument, and once it is done,
ok/error with the size of the result (an error also gives its first line). The transcript
view (``transcript.py``) draws it as a compact block with a coloured bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nanotui.engine.report.compare import key_argument as call_subject

ARG_WIDTH = 48


def key_argument(name: str, arguments: dict[str, Any]) -> str:
    """What the call is about (the engine's choice), fitted to a pane's line."""
    # an unknown tool or a call without its main argument: show what it sent
    value = call_subject(name, arguments) or next((v for v in arguments.values() if isinstance(v, str)), "")
    text = " ".join(str(value).split())
    return text if len(text) <= ARG_WIDTH else text[: ARG_WIDTH - 1] + "…"


def human_size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def first_line(text: str, width: int = 160) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


@dataclass
class ToolCall:
    call_id: str
    name: str
    argument: str
    ok: bool | None = None  # None while the tool runs
    result_size: int = 0
    error_line: str = ""

    @classmethod
    def started(cls, call_id: str, name: str, arguments: dict[str, Any]) -> ToolCall:
        return cls(call_id, name, key_argument(name, arguments))

    def finish(self, ok: bool, result_size: int, result: str) -> None:
        self.ok = ok
        self.result_size = result_size
        self.error_line = "" if ok else first_line(result)
