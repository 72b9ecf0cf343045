"""Scripted on-device runtimes that run in the runtime's child process (imported there by
name), logging what they did to a file the test reads."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from nanotui.engine.errors import ConfigError

BASE = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "model": "m"}


class LoggedBackend:
    """Streams each scripted action in pieces of ``piece`` characters, ``delay_s`` apart."""

    def __init__(self, log: str, actions: list[str], delay_s: float = 0.0, piece: int = 4) -> None:
        self.log = Path(log)
        self.actions = list(actions)
        self.delay_s = delay_s
        self.piece = piece
        self._write(f"loaded pid={os.getpid()} nice={os.nice(0)} cores={len(os.sched_getaffinity(0))}")

    def _write(self, line: str) -> None:
        with self.log.open("a") as f:
            f.write(line + "\n")

    def chat_stream(self, request: dict[str, Any], on_chunk) -> None:
        raw = self.actions.pop(0)
        self._write(f"start messages={len(request['messages'])}")
        for i in range(0, len(raw), self.piece):
            time.sleep(self.delay_s)
            if on_chunk({**BASE, "choices": [{"index": 0, "finish_reason": None,
                                              "delta": {"content": raw[i:i + self.piece]}}]}):
                self._write("stopped")
                return
        on_chunk({**BASE, "choices": [{"index": 0, "finish_reason": "stop", "delta": {}}]})
        on_chunk({**BASE, "choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 10}})
        self._write("finished")


class BrokenBackend:
    def __init__(self, path: str) -> None:
        raise ConfigError(f"{path}: llama.cpp could not load this model (bad magic)")
