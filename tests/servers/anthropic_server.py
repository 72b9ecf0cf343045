"""Anthropic Messages SSE (``POST /v1/messages``) from the same scripts as the OpenAI server.

Every SSE message carries its ``event:`` line: the SDK ignores data without one. Usage is
rendered the way Anthropic reports it: ``input_tokens`` *excludes* cache reads and cache
writes, which come as ``cache_read_input_tokens`` / ``cache_creation_input_tokens``. A
script's ``Reply.input_tokens`` is the whole prompt (as everywhere in the scripts), so the
provider must add the cache figures back to get it.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.servers.base import ScriptedServer, sse
from tests.servers.script import Reply, split

_ids = itertools.count(1)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class AnthropicServer(ScriptedServer):
    @property
    def base_url(self) -> str:
        # Anthropic's base URL has no /v1: the SDK adds it.
        return self.root

    def error_body(self, status: int, message: str) -> Any:
        return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}

    def frames(self, body: Any, r: Reply):
        model = body.get("model", "") if isinstance(body, dict) else ""
        wire_input = max(0, r.input_tokens - r.cached_tokens - r.cache_write_tokens)
        message = {
            "id": f"msg_{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": wire_input,
                "cache_read_input_tokens": r.cached_tokens,
                "cache_creation_input_tokens": r.cache_write_tokens,
                "output_tokens": 1,
            },
        }
        yield sse({"type": "message_start", "message": message}, "message_start")
        yield sse({"type": "ping"}, "ping")
        index = 0
        if r.reasoning:
            yield sse({"type": "content_block_start", "index": index,
                       "content_block": {"type": "thinking", "thinking": "", "signature": ""}}, "content_block_start")
            for piece in split(r.reasoning, r.reasoning_chunks):
                yield sse({"type": "content_block_delta", "index": index,
                           "delta": {"type": "thinking_delta", "thinking": piece}}, "content_block_delta")
            signature = {"type": "signature_delta", "signature": f"sig-{index}-scripted"}
            yield sse({"type": "content_block_delta", "index": index, "delta": signature}, "content_block_delta")
            yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")
            index += 1
        if r.text:
            yield sse({"type": "content_block_start", "index": index,
                       "content_block": {"type": "text", "text": "", "citations": None}}, "content_block_start")
            for piece in split(r.text, r.text_chunks):
                yield sse({"type": "content_block_delta", "index": index,
                           "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
            yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")
            index += 1
        for call in r.calls:
            block = {"type": "tool_use", "id": f"toolu_{next(_ids):04d}", "name": call.name, "input": {}}
            yield sse({"type": "content_block_start", "index": index, "content_block": block}, "content_block_start")
            for piece in split(call.raw, r.arg_chunks):
                yield sse({"type": "content_block_delta", "index": index,
                           "delta": {"type": "input_json_delta", "partial_json": piece}}, "content_block_delta")
            yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")
            index += 1
        stop = "max_tokens" if r.stop == "max_tokens" else ("tool_use" if r.calls else "end_turn")
        usage: dict[str, Any] = {"output_tokens": r.output_tokens}
        if r.reasoning_tokens:
            usage["output_tokens_details"] = {"thinking_tokens": r.reasoning_tokens}
        yield sse({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                   "usage": usage}, "message_delta")
        yield sse({"type": "message_stop"}, "message_stop")
