"""Ollama's native API from the same scripts: ``POST /api/chat`` NDJSON streaming, plus the
read-only endpoints readiness uses (``/api/version``, ``/api/tags``, ``POST /api/show``).

As the real server does: tool calls arrive whole (one line), without ids, with
``arguments`` as an object; token counts and durations come only in the ``done`` line.
A scripted call whose raw arguments are not a JSON object is sent as that bare string,
which is what a broken server or proxy would do (the SDK rejects it).
"""

from __future__ import annotations

import json
from typing import Any

from tests.servers.base import ScriptedServer
from tests.servers.script import Reply, split

DEFAULT_MODELS: dict[str, list[str]] = {
    "gpt-oss:20b": ["completion", "tools", "thinking"],
    "gpt-oss:120b": ["completion", "tools", "thinking"],
}


def _line(data: Any) -> bytes:
    return (json.dumps(data) + "\n").encode()


class OllamaServer(ScriptedServer):
    content_type = "application/x-ndjson"

    def __init__(self, models: dict[str, list[str]] | None = None) -> None:
        super().__init__()
        # Pulled models and their /api/show capabilities.
        self.models: dict[str, list[str]] = dict(DEFAULT_MODELS if models is None else models)

    @property
    def host(self) -> str:
        return self.root

    def error_body(self, status: int, message: str) -> Any:
        return {"error": message}

    # -- the read-only endpoints ----------------------------------------------------------

    def handle_other(self, h, method: str, body: Any) -> bool:
        path = h.path.split("?", 1)[0]
        if method == "GET" and path == "/api/version":
            self._json(h, 200, {"version": "0.12.3"})
            return True
        if method == "GET" and path == "/api/tags":
            self._json(h, 200, {"models": [self._tag(name) for name in self.models]})
            return True
        if method == "POST" and path == "/api/show":
            name = body.get("model", "") if isinstance(body, dict) else ""
            caps = self.models.get(name)
            if caps is None:
                self.send_error_json(h, 404, f"model '{name}' not found")
            else:
                self._json(h, 200, {"modelfile": "", "parameters": "", "template": "",
                                    "details": {"family": name.split(":")[0]},
                                    "model_info": {"general.architecture": name.split(":")[0]},
                                    "capabilities": caps})
            return True
        return False

    def _tag(self, name: str) -> dict[str, Any]:
        return {"name": name, "model": name, "modified_at": "2026-11-01T00:00:00Z", "size": 13_000_000_000,
                "digest": "0" * 64, "details": {"format": "gguf", "family": name.split(":")[0]}}

    def _json(self, h, status: int, data: Any) -> None:
        payload = json.dumps(data).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)
        h.wfile.flush()

    # -- /api/chat ----------------------------------------------------------------------

    def frames(self, body: Any, r: Reply):
        model = body.get("model", "") if isinstance(body, dict) else ""

        def line(message: dict[str, Any], **extra: Any) -> bytes:
            return _line({"model": model, "created_at": "2026-11-26T00:00:00Z",
                          "message": {"role": "assistant", "content": "", **message}, "done": False, **extra})

        for piece in split(r.reasoning, r.reasoning_chunks):
            yield line({"thinking": piece})
        for piece in split(r.text, r.text_chunks):
            yield line({"content": piece})
        if r.calls:
            calls = []
            for call in r.calls:
                args: Any = call.arguments
                if isinstance(args, str):
                    try:
                        args = json.loads(args)
                    except ValueError:
                        pass  # stays a bare string
                calls.append({"function": {"name": call.name, "arguments": args}})
            yield line({"tool_calls": calls})
        total = r.load_duration_ns + r.prompt_eval_duration_ns + r.eval_duration_ns
        yield line(
            {},
            done=True,
            done_reason="length" if r.stop == "max_tokens" else "stop",
            total_duration=total,
            load_duration=r.load_duration_ns,
            prompt_eval_count=r.input_tokens,
            prompt_eval_duration=r.prompt_eval_duration_ns,
            eval_count=r.output_tokens,
            eval_duration=r.eval_duration_ns,
        )
