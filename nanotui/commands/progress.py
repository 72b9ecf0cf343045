"""Live progress for ``nanotui run``: a redrawn block on a terminal, one line per change
otherwise (CI logs)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from nanotui.engine.events import AgentFinished, AgentQueued, AgentStarted, Event, RetryScheduled, ToolCallFinished
from nanotui.engine.numbers import usd
from nanotui.engine.run.live import LiveAgent, LiveBoard


def describe(a: LiveAgent) -> str:
    u = a.usage
    badge = (" [emulated tools]" if a.emulated_tools else "") + (f"  queued: {a.queue_reason}" if a.queue_reason else "")
    return (
        f"{a.agent_id:<3} {a.display_name[:28]:<28} {a.status:<12} {a.elapsed():6.1f}s  "
        f"turns {a.turns:<2} tools {a.tool_calls:<3} tok {u.input_tokens}/{u.output_tokens}  "
        f"{usd(a.cost_usd) if a.turns else '-'}{badge}"
    )


class Progress:
    def __init__(self, board: LiveBoard, stream: TextIO | None = None, interval_s: float = 0.25) -> None:
        self.board = board
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval_s = interval_s
        self._drawn = 0
        self._last = 0.0
        self._t0 = time.monotonic()

    def __call__(self, event: Event) -> None:
        agent = self.board.apply(event)
        if self.tty:
            self.redraw()
        elif agent is not None and isinstance(event, AgentQueued | AgentStarted | ToolCallFinished | RetryScheduled | AgentFinished):
            detail = ""
            if isinstance(event, ToolCallFinished):
                detail = f"  {event.name} {'ok' if event.ok else 'error'}"
            elif isinstance(event, RetryScheduled):
                detail = f"  retry {event.attempt} in {event.wait_s:.1f}s: {event.reason[:80]}"
            elif isinstance(event, AgentFinished) and agent.error:
                detail = f"  {agent.error[:120]}"
            print(f"[{time.monotonic() - self._t0:6.1f}s] {describe(agent)}{detail}", file=self.stream, flush=True)

    def redraw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        lines = [describe(a) for a in self.board.agents.values()]
        out = "\x1b[F" * self._drawn + "".join(f"\x1b[2K{line}\n" for line in lines)
        self.stream.write(out)
        self.stream.flush()
        self._drawn = len(lines)

    async def tick_forever(self) -> None:
        """Keeps elapsed times moving on a terminal."""
        while True:
            await asyncio.sleep(self.interval_s)
            self.redraw()

    def close(self) -> None:
        if self.tty:
            self.redraw(force=True)
