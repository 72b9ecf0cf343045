"""Emulated tool calling: the action schema, parsing, streaming, and whole agent runs
through the ``local:`` provider with the runtime replaced by (a) a scripted backend that
streams chunks exactly as xllamacpp does and (b) the real OpenAI SDK talking to the
loopback Chat Completions server — the emulation works with any runtime that accepts a
JSON schema for its output."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from nanotui.engine.agent.loop import Agent, AgentTask, Limits
from nanotui.engine.agent.prompt import SYSTEM_PROMPT
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.stream import StreamReasoning, StreamText, StreamToolCallDelta
from nanotui.engine.agent.tool_defs import TOOL_DEFS, TOOL_NAMES
from nanotui.engine.agent.transcript import AssistantMessage, ToolCall, ToolResultMessage, UserMessage
from nanotui.engine.events import AgentStarted, Event, ReasoningDelta, TextDelta, ToolCallFinished, ToolCallStarted
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.local.emulated_tools import ActionStream, action_instructions, action_schema, build_request, parse_action
from nanotui.providers.local.llama import LocalLlamaProvider
from tests.servers.openai_server import OpenAIServer
from tests.servers.script import Reply, split

SPEC = ModelSpec(name="local:test-model", provider="local", model="test-model", display_name="Test (on-device)")


# -- the schema and the prompt -------------------------------------------------------------


def test_schema_has_the_final_answer_then_one_variant_per_tool() -> None:
    schema = action_schema(TOOL_DEFS)
    variants = schema["anyOf"]
    assert [v["properties"]["action"]["const"] for v in variants] == ["final_answer", *TOOL_NAMES]
    by_name = {v["properties"]["action"]["const"]: v for v in variants}
    assert by_name["read_file"]["required"] == ["action", "file_path"]
    assert by_name["list_directory"]["required"] == ["action"]  # directory_path is optional
    assert set(by_name["edit_file"]["properties"]) == {"action", "file_path", "old_str", "new_str"}
    # Notes come before the answer: the model writes out the facts, then the reply.
    assert list(by_name["final_answer"]["properties"]) == ["action", "notes", "answer"]
    assert by_name["final_answer"]["required"] == ["action", "notes", "answer"]
    assert all(v["additionalProperties"] is False for v in variants)


def test_instructions_describe_every_action() -> None:
    text = action_instructions(TOOL_DEFS)
    for tool in TOOL_DEFS:
        assert f"- {tool.name}: {tool.description}" in text
    assert "directory_path (optional)" in text
    assert "- final_answer: Finish the task. Arguments: notes:" in text
    assert text.index("- final_answer") < text.index("- read_file")


def test_request_keeps_the_shared_system_prompt_and_renders_the_transcript() -> None:
    raw = '{"action": "read_file", "file_path": "README.md"}'
    messages = [
        UserMessage("What is the secret word?"),
        parse_action(raw, "emu_1"),
        ToolResultMessage("emu_1", "read_file", "The secret word is PLUM."),
        AssistantMessage(tool_calls=[ToolCall("emu_2", "read_file", '{"file_path": "x"}', {"file_path": "x"})]),
        ToolResultMessage("emu_2", "read_file", "Error: file not found: x", is_error=True),
    ]
    req = build_request(SYSTEM_PROMPT, messages, list(TOOL_DEFS))
    assert req.messages[0]["role"] == "system" and req.messages[0]["content"].startswith(SYSTEM_PROMPT)
    assert [m["role"] for m in req.messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert req.messages[2]["content"] == raw  # replayed exactly as generated
    assert json.loads(req.messages[4]["content"]) == {"action": "read_file", "file_path": "x"}
    assert req.messages[3]["content"].startswith("Result of read_file:\nThe secret word is PLUM.")
    assert req.messages[5]["content"].startswith("Error from read_file:\nError: file not found: x")
    assert req.call_id == "emu_3"
    assert req.schema == action_schema(TOOL_DEFS)


def test_a_repeated_call_gets_a_note_with_its_result() -> None:
    read = '{"action": "read_file", "file_path": "README.md"}'
    messages = [
        UserMessage("What is the secret word?"),
        parse_action(read, "emu_1"),
        ToolResultMessage("emu_1", "read_file", "PLUM"),
        parse_action('{"action": "list_directory"}', "emu_2"),
        ToolResultMessage("emu_2", "list_directory", ". (1 entries)"),
        parse_action(read, "emu_3"),
        ToolResultMessage("emu_3", "read_file", "PLUM"),
    ]
    results = [m["content"] for m in build_request(SYSTEM_PROMPT, messages, list(TOOL_DEFS)).messages[3::2]]
    assert ["made this exact call before" in r for r in results] == [False, False, True]


def test_notes_are_bounded_so_they_cannot_become_a_second_copy_of_the_answer() -> None:
    final = action_schema(TOOL_DEFS)["anyOf"][0]
    assert final["properties"]["notes"]["maxLength"] == 400
    assert "maxLength" not in final["properties"]["answer"]


# -- parsing -------------------------------------------------------------------------------


def test_a_tool_action_becomes_a_tool_call() -> None:
    msg = parse_action('{"action": "write_file", "file_path": "a.txt", "content": "hi\\n"}', "emu_4")
    assert msg.text == ""
    [call] = msg.tool_calls
    assert (call.id, call.name, call.arguments) == ("emu_4", "write_file", {"file_path": "a.txt", "content": "hi\n"})
    assert json.loads(call.raw_arguments) == call.arguments


def test_a_final_answer_becomes_text_with_its_notes_as_reasoning() -> None:
    msg = parse_action('{"action": "final_answer", "notes": "It is true.", "answer": "{\\"ok\\": true}"}', "emu_2")
    assert msg.tool_calls == [] and msg.text == '{"ok": true}' and msg.reasoning == "It is true."


def test_output_cut_short_becomes_a_call_the_loop_answers_with_an_error() -> None:
    msg = parse_action('{"action": "write_file", "file_path": "a.txt", "content": "lo', "emu_1")
    [call] = msg.tool_calls
    assert call.name == "write_file" and call.arguments is None
    nameless = parse_action('{"to', "emu_1")
    assert nameless.tool_calls[0].name == "unknown_action" and nameless.tool_calls[0].arguments is None


# -- streaming -----------------------------------------------------------------------------


def feed_all(raw: str, size: int) -> list[Any]:
    stream = ActionStream()
    events: list[Any] = []
    for i in range(0, len(raw), size):
        events += stream.feed(raw[i : i + size])
    assert stream.buffer == raw
    return events


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_final_answer_streams_notes_as_reasoning_then_decoded_text(size: int) -> None:
    notes = 'The file says "answer": "no" \\ and 2 lines.'
    answer = 'Line "one"\n\tcafé \u00e9 😀 back\\slash / done'
    # ASCII-escaped (with a surrogate pair for the emoji), as the runtime may write it.
    raw = json.dumps({"action": "final_answer", "notes": notes, "answer": answer})
    events = feed_all(raw, size)
    reasoning = [e for e in events if isinstance(e, StreamReasoning)]
    text = [e for e in events if isinstance(e, StreamText)]
    assert len(reasoning) + len(text) == len(events)
    assert "".join(e.text for e in reasoning) == notes
    assert "".join(e.text for e in text) == answer
    assert events.index(text[0]) > events.index(reasoning[-1])
    assert parse_action(raw, "emu_1").text == answer


@pytest.mark.parametrize("size", [1, 5, 1000])
def test_tool_action_streams_its_name_then_argument_pieces(size: int) -> None:
    raw = '{"action": "read_file", "file_path": "README.md"}'
    events = feed_all(raw, size)
    assert all(isinstance(e, StreamToolCallDelta) for e in events)
    assert [e.name for e in events if e.name] == ["read_file"]
    assert not any(isinstance(e, StreamText) for e in events)


# -- a scripted runtime --------------------------------------------------------------------


class ScriptedBackend:
    """Streams each scripted action in small pieces, chunk for chunk as xllamacpp does,
    from a worker thread; records every request; honours the stop signal."""

    def __init__(self, *actions: str, finish: list[str] | None = None, delay_s: float = 0.0) -> None:
        self.actions = list(actions)
        self.finish = finish or []
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        self.threads: set[str] = set()
        self.stopped = threading.Event()

    def chat_stream(self, request: dict[str, Any], on_chunk) -> None:
        self.threads.add(threading.current_thread().name)
        self.requests.append(json.loads(json.dumps(request)))
        raw = self.actions.pop(0)
        finish = self.finish.pop(0) if self.finish else "stop"
        base = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "model": "m"}
        if on_chunk({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"role": "assistant", "content": None}}]}):
            self.stopped.set()
            return
        for piece in split(raw, max(1, len(raw) // 4)):
            time.sleep(self.delay_s)
            if on_chunk({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"content": piece}}]}):
                self.stopped.set()
                return
        on_chunk({**base, "choices": [{"index": 0, "finish_reason": finish, "delta": {}}]})
        on_chunk({**base, "choices": [], "usage": {"prompt_tokens": 500, "completion_tokens": 30,
                  "prompt_tokens_details": {"cached_tokens": 400}},
                  "timings": {"prompt_n": 100, "prompt_per_second": 60.0, "predicted_n": 30, "predicted_per_second": 13.5}})


async def run_agent(provider, workspace: Path, prompt: str = "What is the secret word?", max_turns: int = 6):
    events: list[Event] = []
    sandbox = Sandbox.create(workspace)
    try:
        agent = Agent("a1", SPEC, provider, AgentTask(prompt, workspace), sandbox,
                      limits=Limits(max_turns=max_turns, timeout_s=20), sink=events.append)
        result = await agent.run()
        files = {p.relative_to(sandbox.root).as_posix(): p.read_text() for p in sandbox.root.rglob("*") if p.is_file()}
    finally:
        sandbox.cleanup()
    return result, events, files


async def test_agent_run_through_emulated_tools(workspace: Path) -> None:
    backend = ScriptedBackend(
        '{"action": "read_file", "file_path": "README.md"}',
        '{"action": "write_file", "file_path": "../escape.txt", "content": "x"}',
        '{"action": "write_file", "file_path": "answer.txt", "content": "PLUM\\n"}',
        '{"action": "final_answer", "notes": "README.md names it.", "answer": "The secret word is \\"PLUM\\"."}',
    )
    result, events, files = await run_agent(LocalLlamaProvider(SPEC, backend=backend), workspace)

    assert result.status == "ok", result.error
    assert result.emulated_tools is True
    assert isinstance(events[0], AgentStarted) and events[0].emulated_tools
    assert result.final_answer == 'The secret word is "PLUM".'
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == result.final_answer
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "README.md names it."
    assert [(t.call_id, t.name, t.ok) for t in result.tool_calls] == [
        ("emu_1", "read_file", True), ("emu_2", "write_file", False), ("emu_3", "write_file", True)
    ]
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert started[0].arguments == {"file_path": "README.md"}
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert "PLUM" in finished[0].result and not finished[1].ok  # the sandbox refused the escape
    assert files["answer.txt"] == "PLUM\n" and "escape.txt" not in files
    assert result.files_changed == ["answer.txt"]
    assert result.turns == 4 and result.usage.input_tokens == 2000 and result.usage.cached_input_tokens == 1600
    assert result.cost_usd == 0.0
    assert result.metrics["gen_tokens_per_s"] == 13.5 and result.metrics["prompt_tokens_per_s"] == 60.0
    assert "load_s" not in result.metrics  # the runtime was handed in: nothing was loaded
    assert result.stop_reason == "end"

    # Every step is constrained to the action schema, streamed, and sees the tool results.
    first, second = backend.requests[0], backend.requests[1]
    assert first["json_schema"] == action_schema(TOOL_DEFS) and first["stream"] is True
    assert first["max_tokens"] == 1024 and first["cache_prompt"] is True
    assert first["messages"][0]["content"].startswith(SYSTEM_PROMPT)
    assert second["messages"][-1]["role"] == "user"
    assert "The secret word is PLUM." in second["messages"][-1]["content"]
    # The runtime never ran on the event loop's thread, nor in the loop's shared executor.
    assert backend.threads == {f"nanotui-local-emu_{i}" for i in range(1, 5)}


async def test_a_step_cut_short_is_answered_with_an_error_and_the_run_goes_on(workspace: Path) -> None:
    backend = ScriptedBackend(
        '{"action": "write_file", "file_path": "a.txt", "content": "aaaa',
        '{"action": "final_answer", "notes": "n", "answer": "done"}',
        finish=["length", "stop"],
    )
    result, events, _ = await run_agent(LocalLlamaProvider(SPEC, backend=backend), workspace)
    assert result.status == "ok" and result.final_answer == "done"
    assert result.tool_calls[0].name == "write_file" and not result.tool_calls[0].ok
    assert "not valid JSON" in backend.requests[1]["messages"][-1]["content"]


async def test_options_reach_the_runtime(workspace: Path) -> None:
    spec = ModelSpec(name="x", provider="local", model="test-model", display_name="x",
                     options={"max_tokens": 256, "temperature": 0.7, "num_ctx": 4096, "threads": 3})
    backend = ScriptedBackend('{"action": "final_answer", "notes": "n", "answer": "ok"}')
    provider = LocalLlamaProvider(spec, backend=backend)
    assert (provider.n_ctx, provider.threads) == (4096, 3)
    await run_agent(provider, workspace)
    assert backend.requests[0]["max_tokens"] == 256 and backend.requests[0]["temperature"] == 0.7


async def test_cancelling_a_turn_stops_generation_in_the_runtime(workspace: Path) -> None:
    backend = ScriptedBackend('{"action": "final_answer", "notes": "n", "answer": "' + "word " * 200 + '"}', delay_s=0.05)
    provider = LocalLlamaProvider(SPEC, backend=backend)
    events: list[Event] = []
    sandbox = Sandbox.create(workspace)
    agent = Agent("a1", SPEC, provider, AgentTask("go", workspace), sandbox, sink=events.append)
    task = asyncio.create_task(agent.run())
    while not any(isinstance(e, TextDelta) for e in events):
        await asyncio.sleep(0.01)
    task.cancel()
    result = await task
    sandbox.cleanup()
    assert result.status == "cancelled"
    assert await asyncio.to_thread(backend.stopped.wait, 2.0), "the runtime kept generating after cancel"


async def test_a_runtime_exception_is_a_provider_error_not_a_crash(workspace: Path) -> None:
    class Failing:
        def chat_stream(self, request, on_chunk) -> None:
            raise ValueError("Unable to generate parser for this template.\nmore detail")

    result, _, _ = await run_agent(LocalLlamaProvider(SPEC, backend=Failing()), workspace)
    assert result.status == "error"
    assert result.error == "on-device model: ValueError: Unable to generate parser for this template."
    assert result.retries == 0


async def test_a_conversation_too_long_for_the_context_names_num_ctx(workspace: Path) -> None:
    class Overflow:
        def chat_stream(self, request, on_chunk) -> None:
            # What xllamacpp streams when the prompt does not fit (checked against the runtime).
            on_chunk({"error": {"code": 400, "message": "request (9000 tokens) exceeds the available context size "
                                "(8192 tokens), try increasing it", "type": "exceed_context_size_error",
                                "n_prompt_tokens": 9000, "n_ctx": 8192}})

    result, _, _ = await run_agent(LocalLlamaProvider(SPEC, backend=Overflow()), workspace)
    assert result.status == "error" and result.retries == 0
    assert result.error == ("on-device model: the conversation (9000 tokens) no longer fits the context of "
                            "8192 tokens; a roster entry with a larger num_ctx raises it")


# -- the same emulation over a real SDK and real HTTP ----------------------------------------


class OpenAIChatBackend:
    """A runtime adapter: the emulated request sent to an OpenAI-compatible server with the
    official SDK; the SDK's parsed chunks handed on as dicts."""

    def __init__(self, base_url: str) -> None:
        from openai import OpenAI

        self.client = OpenAI(base_url=base_url, api_key="sk-test-loopback-key-0000", max_retries=0)

    def chat_stream(self, request: dict[str, Any], on_chunk) -> None:
        body = dict(request)
        stream = self.client.chat.completions.create(
            model="emulated-model",
            messages=body.pop("messages"),
            stream=True,
            stream_options=body.pop("stream_options"),
            max_tokens=body.pop("max_tokens"),
            temperature=body.pop("temperature"),
            response_format={"type": "json_schema", "json_schema": {"name": "action", "schema": body.pop("json_schema")}},
        )
        for chunk in stream:
            if on_chunk(chunk.model_dump()):
                stream.close()
                return


async def test_emulation_over_the_openai_sdk_and_loopback_http(workspace: Path) -> None:
    with OpenAIServer() as server:
        server.script(
            "emulated-model",
            Reply(text='{"action": "list_directory"}', text_chunks=4),
            Reply(text='{"action": "read_file", "file_path": "data/numbers.txt"}', text_chunks=5),
            Reply(text='{"action": "final_answer", "notes": "n", "answer": "1+2+3 = 6"}', text_chunks=6, input_tokens=700),
        )
        backend = OpenAIChatBackend(server.base_url)
        result, events, _ = await run_agent(LocalLlamaProvider(SPEC, backend=backend), workspace, "Sum the numbers.")
        requests = server.requests_for("/chat/completions")

    assert result.status == "ok", result.error
    assert result.final_answer == "1+2+3 = 6"
    assert [t.name for t in result.tool_calls] == ["list_directory", "read_file"]
    assert all(t.ok for t in result.tool_calls)
    assert result.usage.input_tokens == 100 + 100 + 700
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "1+2+3 = 6"
    sent = requests[2].body
    assert sent["response_format"]["json_schema"]["schema"] == action_schema(TOOL_DEFS)
    assert "tools" not in sent  # no native tool calls: the schema is the protocol
    assert sent["messages"][-1]["content"].startswith("Result of read_file:\n1\n2\n3\n")
