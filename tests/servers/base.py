"""A threaded stdlib HTTP server on 127.0.0.1 that serves scripted steps per model.

Each request reads its model name, takes that model's next step and lets the protocol
subclass render it. Requests are recorded for assertions. When a model's script runs
out the server answers 500 "script exhausted", so a test that expects fewer calls fails.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.script import Fault, Reply, Step


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.owner.handle(self, "GET", None)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.server.owner.handle(self, "POST", body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 makes a 6th simultaneous connect wait ~1 s for a SYN retry.
    request_queue_size = 128
    owner: ScriptedServer


class ScriptedServer:
    """Subclasses implement :meth:`model_of`, :meth:`render_reply` and :meth:`render_error`."""

    def __init__(self) -> None:
        self._scripts: dict[str, deque[Step]] = defaultdict(deque)
        self._defaults: dict[str, Step] = {}
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        # A short poll interval keeps shutdown (every test teardown) at ~50 ms instead of 0.5 s.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting ---------------------------------------------------------------------

    def script(self, model: str, *steps: Step) -> ScriptedServer:
        with self._lock:
            self._scripts[model].extend(steps)
        return self

    def always(self, model: str, step: Step) -> ScriptedServer:
        """Serve ``step`` whenever ``model``'s script is empty."""
        self._defaults[model] = step
        return self

    def next_step(self, model: str) -> Step | None:
        with self._lock:
            if self._scripts[model]:
                return self._scripts[model].popleft()
        return self._defaults.get(model)

    def requests_for(self, path_suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    # -- serving -----------------------------------------------------------------------

    def handle(self, h: _Handler, method: str, body: Any) -> None:
        with self._lock:
            self.requests.append(Recorded(h.path, dict(h.headers), body))
        if self.handle_other(h, method, body):
            return
        model = self.model_of(body)
        step = self.next_step(model)
        if step is None:
            self.send_error_json(h, 500, f"script exhausted for model {model!r}")
            return
        if isinstance(step, Fault) and not (step.disconnect_mid_stream or step.hang):
            self.send_error_json(h, step.status, step.message, step.retry_after)
            return
        reply = step if isinstance(step, Reply) else Reply(text="partial answer that never finishes", text_chunks=4)
        if reply.first_byte_delay_s:
            time.sleep(reply.first_byte_delay_s)
        self.stream(h, body, reply, step if isinstance(step, Fault) else None)

    def handle_other(self, h: _Handler, method: str, body: Any) -> bool:
        """Hook for endpoints that are not the scripted model call (e.g. Ollama /api/show)."""
        return False

    def send_error_json(self, h: _Handler, status: int, message: str, retry_after: float | None = None) -> None:
        payload = json.dumps(self.error_body(status, message)).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(payload)))
        if retry_after is not None:
            h.send_header("retry-after", f"{retry_after:g}")
        h.end_headers()
        h.wfile.write(payload)
        h.wfile.flush()

    def stream(self, h: _Handler, body: Any, reply: Reply, fault: Fault | None) -> None:
        h.send_response(200)
        h.send_header("content-type", self.content_type)
        h.send_header("cache-control", "no-cache")
        h.send_header("connection", "close")
        h.end_headers()
        h.close_connection = True
        frames = list(self.frames(body, reply))
        if fault is not None and fault.disconnect_mid_stream:
            frames = frames[: max(2, len(frames) // 2)]
        if fault is not None and fault.hang:
            frames = frames[:3]
        try:
            for frame in frames:
                h.wfile.write(frame)
                h.wfile.flush()
                if reply.chunk_delay_s:
                    time.sleep(reply.chunk_delay_s)
            if fault is not None and fault.hang:
                time.sleep(fault.hang_s)
        except (BrokenPipeError, ConnectionResetError):
            return

    # -- protocol ----------------------------------------------------------------------

    content_type = "text/event-stream"

    def model_of(self, body: Any) -> str:
        return body.get("model", "") if isinstance(body, dict) else ""

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"message": message, "type": "scripted", "code": status}}

    def frames(self, body: Any, reply: Reply):  # -> Iterator[bytes]
        raise NotImplementedError


def sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n".encode()
