"""OpenAI wire protocols: Responses SSE (``/v1/responses``) and Chat Completions SSE
(``/v1/chat/completions``), both served by one scripted server."""

from __future__ import annotations

import itertools
from typing import Any

from tests.servers.base import ScriptedServer, sse
from tests.servers.script import Reply, split

_ids = itertools.count(1)


def _response(model: str, status: str, output: list[Any], usage: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "resp_scripted",
        "object": "response",
        "created_at": 1700000000,
        "model": model,
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
    }
    if usage is not None:
        body["usage"] = usage
    return body


class OpenAIServer(ScriptedServer):
    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    def frames(self, body: Any, reply: Reply):
        if self._path_is_chat:
            yield from self._chat_frames(body, reply)
        else:
            yield from self._responses_frames(body, reply)

    def handle(self, h, method, body):  # type: ignore[override]
        self._path_is_chat = h.path.endswith("/chat/completions")
        super().handle(h, method, body)

    _path_is_chat = False

    # -- Responses API ------------------------------------------------------------------

    def _responses_frames(self, body: Any, r: Reply):
        model = body.get("model", "") if isinstance(body, dict) else ""
        seq = itertools.count()
        output: list[dict[str, Any]] = []
        yield sse({"type": "response.created", "sequence_number": next(seq),
                   "response": _response(model, "in_progress", [], None)}, "response.created")
        idx = 0
        if r.reasoning:
            rid = f"rs_{next(_ids)}"
            item = {"type": "reasoning", "id": rid, "summary": []}
            yield sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": idx, "item": item})
            for piece in split(r.reasoning, r.reasoning_chunks):
                yield sse({"type": "response.reasoning_summary_text.delta", "sequence_number": next(seq),
                           "item_id": rid, "output_index": idx, "summary_index": 0, "delta": piece})
            done = {**item, "summary": [{"type": "summary_text", "text": r.reasoning}], "encrypted_content": "opaque"}
            yield sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": idx, "item": done})
            output.append(done)
            idx += 1
        if r.text:
            mid = f"msg_{next(_ids)}"
            item = {"type": "message", "id": mid, "role": "assistant", "status": "in_progress", "content": []}
            yield sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": idx, "item": item})
            for piece in split(r.text, r.text_chunks):
                yield sse({"type": "response.output_text.delta", "sequence_number": next(seq), "item_id": mid,
                           "output_index": idx, "content_index": 0, "delta": piece, "logprobs": []})
            part = {"type": "output_text", "text": r.text, "annotations": []}
            done = {**item, "status": "completed", "content": [part]}
            yield sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": idx, "item": done})
            output.append(done)
            idx += 1
        for call in r.calls:
            fid = f"fc_{next(_ids)}"
            call_id = f"call_{next(_ids)}"
            item = {"type": "function_call", "id": fid, "call_id": call_id, "name": call.name,
                    "arguments": "", "status": "in_progress"}
            yield sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": idx, "item": item})
            for piece in split(call.raw, r.arg_chunks):
                yield sse({"type": "response.function_call_arguments.delta", "sequence_number": next(seq),
                           "item_id": fid, "output_index": idx, "delta": piece})
            done = {**item, "arguments": call.raw, "status": "completed"}
            yield sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": idx, "item": done})
            output.append(done)
            idx += 1
        usage = {
            "input_tokens": r.input_tokens,
            "input_tokens_details": {"cached_tokens": r.cached_tokens},
            "output_tokens": r.output_tokens,
            "output_tokens_details": {"reasoning_tokens": r.reasoning_tokens},
            "total_tokens": r.input_tokens + r.output_tokens,
        }
        kind = "response.incomplete" if r.stop == "max_tokens" else "response.completed"
        status = "incomplete" if r.stop == "max_tokens" else "completed"
        yield sse({"type": kind, "sequence_number": next(seq), "response": _response(model, status, output, usage)}, kind)

    # -- Chat Completions ---------------------------------------------------------------

    def _chat_frames(self, body: Any, r: Reply):
        model = body.get("model", "") if isinstance(body, dict) else ""
        base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1700000000, "model": model}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return sse({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        yield chunk({"role": "assistant", "content": ""})
        for piece in split(r.reasoning, r.reasoning_chunks):
            yield chunk({"reasoning_content": piece})
        for piece in split(r.text, r.text_chunks):
            yield chunk({"content": piece})
        for i, call in enumerate(r.calls):
            yield chunk({"tool_calls": [{"index": i, "id": f"call_{next(_ids)}", "type": "function",
                                          "function": {"name": call.name, "arguments": ""}}]})
            for piece in split(call.raw, r.arg_chunks):
                yield chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
        finish = "length" if r.stop == "max_tokens" else ("tool_calls" if r.calls else "stop")
        yield chunk({}, finish)
        usage = {
            "prompt_tokens": r.input_tokens,
            "completion_tokens": r.output_tokens,
            "total_tokens": r.input_tokens + r.output_tokens,
            "prompt_tokens_details": {"cached_tokens": r.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": r.reasoning_tokens},
        }
        yield sse({**base, "choices": [], "usage": usage})
        yield b"data: [DONE]\n\n"
