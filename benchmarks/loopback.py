"""Start a scripted OpenAI loopback server in a child process (so its work does not share
the benchmark's GIL) serving the same reply for every request."""

from __future__ import annotations

import multiprocessing as mp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _serve(conn, reply_kwargs: dict, models: list[str]) -> None:  # pragma: no cover - child process
    from tests.servers.openai_server import OpenAIServer
    from tests.servers.script import Call, Reply

    calls = [Call(**c) for c in reply_kwargs.pop("calls", [])]
    server = OpenAIServer().start()
    for m in models:
        server.always(m, Reply(calls=calls, **reply_kwargs))
    conn.send(server.base_url)
    conn.recv()  # wait for "stop"
    server.stop()


class ServerProcess:
    def __init__(self, models: list[str], **reply_kwargs) -> None:
        self._parent, child = mp.Pipe()
        self._proc = mp.get_context("fork").Process(target=_serve, args=(child, reply_kwargs, models), daemon=True)

    def __enter__(self) -> str:
        self._proc.start()
        return self._parent.recv()

    def __exit__(self, *exc: object) -> None:
        self._parent.send("stop")
        self._proc.join(5)
