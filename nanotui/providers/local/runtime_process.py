"""The on-device runtime in a child process of its own, so it never slows the other agents.

llama.cpp is blocking C++ that keeps every core it is given busy. Run inside nanotui's
process it took the CPU from the event loop: on 2 cores a remote agent's TTFT went from
0.5 s to 4.4 s when a local model ran beside it, so its speed grade measured our CPU, not
the provider. Here the runtime lives in a spawned child that

- uses ``threads`` cores (by default all but one: :func:`runtime_threads`), pinned to the
  last ones, so core 0 stays free for nanotui's event loop and the remote agents;
- runs at the lowest CPU priority (``nice`` 19), so whatever nanotui needs it gets first;
- streams each chunk back through a pipe; a ``stop`` message ends a step at the next token,
  and the child exits by itself when nanotui goes away (its end of the pipe closes).

:class:`ChildBackend` is a :class:`~nanotui.providers.local.llama.ChatBackend`: the provider
calls ``chat_stream`` in a worker thread exactly as it did with the in-process runtime.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable
from typing import Any

from nanotui.engine.errors import ConfigError

ChunkSink = Callable[[dict[str, Any]], bool]  # returns True to stop generating
LOWEST_PRIORITY = 19
START_TIMEOUT_S = 600.0  # loading 1 GB from a cold disk; a dead child is seen at once anyway


def available_cores() -> list[int]:
    """The cores this process may use (a container's CPU set, not the host's core count)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def runtime_threads() -> int:
    """All cores but one (at least 1): the one left is nanotui's."""
    return max(1, len(available_cores()) - 1)


def _pin(threads: int) -> None:  # pragma: no cover - runs in the child
    cores = available_cores()
    try:
        if len(cores) > 1:
            os.sched_setaffinity(0, cores[-min(threads, len(cores) - 1):])
    except (AttributeError, OSError):
        pass  # not on Linux: the priority below still keeps it out of nanotui's way
    try:
        os.nice(LOWEST_PRIORITY)
    except (AttributeError, OSError):
        pass


def _serve(conn: Any, factory: str, args: tuple[Any, ...], threads: int) -> None:  # pragma: no cover - child
    """The child: load the backend, then answer one request at a time until the pipe closes."""
    _pin(threads)
    module_name, _, attr = factory.partition(":")
    try:
        import importlib

        backend = getattr(importlib.import_module(module_name), attr)(*args)
    except BaseException as exc:
        conn.send(("error", _describe(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            kind, request = conn.recv()
        except (EOFError, OSError):
            return  # nanotui is gone
        if kind != "chat":
            continue

        def on_chunk(chunk: dict[str, Any]) -> bool:
            try:
                conn.send(("chunk", chunk))
                while conn.poll():  # the only thing the parent sends mid-step is "stop"
                    if conn.recv()[0] == "stop":
                        return True
            except (EOFError, OSError):
                return True
            return False

        try:
            backend.chat_stream(request, on_chunk)
            outcome: tuple[str, Any] = ("done", None)
        except BaseException as exc:
            outcome = ("failed", _describe(exc))
        try:
            conn.send(outcome)
        except (EOFError, OSError):
            return


def _describe(exc: BaseException) -> tuple[str, str]:
    return (type(exc).__name__, str(exc))


class RuntimeFailed(Exception):
    """The runtime raised in the child; carries its type name and message."""


class ChildBackend:
    """A backend (``factory`` — ``"module:Class"`` — called with ``args``) loaded in a child
    process. Blocking: construct and call it from a worker thread."""

    def __init__(self, factory: str, args: tuple[Any, ...], threads: int) -> None:
        ctx = mp.get_context("spawn")  # never fork a process that has threads and an event loop
        self._conn, child_conn = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_conn, factory, args, threads),
                                   name="nanotui-local-runtime", daemon=True)
        self.process.start()
        child_conn.close()
        self._lock = threading.Lock()  # one step at a time, as llama.cpp's single slot would
        if not self._conn.poll(START_TIMEOUT_S):
            self.close()
            raise ConfigError("the on-device runtime did not start")
        try:
            kind, payload = self._conn.recv()
        except (EOFError, OSError):
            self.close()
            raise ConfigError(f"the on-device runtime exited while loading (exit code {self.process.exitcode})") \
                from None
        if kind == "error":
            self.close()
            name, message = payload
            raise ConfigError(message if name == "ConfigError" else f"the on-device runtime failed: {name}: {message}")

    def chat_stream(self, request: dict[str, Any], on_chunk: ChunkSink) -> None:
        with self._lock:
            conn = self._conn
            try:
                conn.send(("chat", request))
            except (EOFError, OSError):
                raise RuntimeFailed("the on-device runtime has exited") from None
            stopping = False
            while True:
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    raise RuntimeFailed(f"the on-device runtime exited (exit code {self.process.exitcode})") \
                        from None
                if kind == "chunk":
                    if on_chunk(payload) and not stopping:
                        stopping = True
                        conn.send(("stop", None))
                elif kind == "done":
                    return
                elif kind == "failed":
                    raise RuntimeFailed(f"{payload[0]}: {payload[1]}")

    def close(self) -> None:
        try:
            self._conn.close()
        except OSError:
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
