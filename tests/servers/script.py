"""Scripted turns and faults, independent of any wire protocol."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """A tool call the scripted model makes. ``arguments`` may be a raw (even malformed) string."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)

    @property
    def raw(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    """One model turn: text and/or tool calls, streamed in pieces, with usage."""

    text: str = ""
    calls: list[Call] = field(default_factory=list)
    reasoning: str = ""
    input_tokens: int = 100
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 20
    reasoning_tokens: int = 0
    first_byte_delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    text_chunks: int = 3  # text is split into this many deltas
    reasoning_chunks: int = 2  # reasoning likewise
    arg_chunks: int = 3  # tool-call arguments are split into this many deltas
    stop: str = "end"  # "end" | "max_tokens"
    # Ollama's done line
    load_duration_ns: int = 5_000_000
    eval_duration_ns: int = 400_000_000
    prompt_eval_duration_ns: int = 100_000_000


@dataclass
class Fault:
    """A failure: an HTTP error, a disconnect part-way, or a stream that never ends."""

    status: int = 500
    message: str = "scripted failure"
    retry_after: float | None = None
    disconnect_mid_stream: bool = False  # send a little of a Reply, then drop the socket
    hang: bool = False  # send headers and one delta, then nothing for hang_s
    hang_s: float = 30.0


Step = Reply | Fault


def split(text: str, parts: int) -> list[str]:
    if not text:
        return []
    parts = max(1, min(parts, len(text)))
    size = -(-len(text) // parts)
    return [text[i : i + size] for i in range(0, len(text), size)]
