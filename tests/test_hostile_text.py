"""Hostile model output through every wire protocol: a lone surrogate never crashes a run,
and a key streamed in pieces (text, reasoning, tool arguments) is never stored or shown."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.events import ReasoningDelta, TextDelta, ToolCallFinished, ToolCallStarted
from nanotui.engine.history.store import RunStore
from nanotui.engine.run.plan import plan_run
from nanotui.engine.run.service import RecordedRun
from nanotui.engine.secrets import StreamRedactor, redact
from nanotui.engine.text import safe_text, safe_value
from nanotui.providers.registry import SdkProviders
from tests.servers.script import Call, Reply

KEY = "sk-proj-ADVERSARIAL0123456789abcdef"
SECRET_PART = "ADVERSARIAL0123"  # what must never appear, whole or rebuilt from pieces


@dataclass(frozen=True)
class Protocol:
    fixture: str
    model: str
    entry: str  # roster entry body ("compat" gets the server's base_url)
    key_env: str


PROTOCOLS = {
    "openai-responses": Protocol("openai_server", "gpt-5-mini", 'spec = "openai:gpt-5-mini"', "OPENAI_API_KEY"),
    "openai-chat": Protocol("openai_server", "qwen-a", "compat", "OPENAI_API_KEY"),
    "anthropic": Protocol("anthropic_server", "claude-3-haiku-20240307",
                          'spec = "anthropic:claude-3-haiku-20240307"', "ANTHROPIC_API_KEY"),
    "ollama": Protocol("ollama_server", "gpt-oss:20b", 'spec = "ollama:gpt-oss:20b"', "OLLAMA_API_KEY"),
}


@pytest.fixture(params=list(PROTOCOLS))
def proto(request: pytest.FixtureRequest):
    """(protocol, server) with a roster entry ``m`` for the protocol's model."""
    p = PROTOCOLS[request.param]
    server = request.getfixturevalue(p.fixture)
    body = p.entry
    if body == "compat":
        body = f'provider = "openai"\nmodel = "{p.model}"\nbase_url = "{server.base_url}"'
    config = Path(os.environ["NANOTUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "roster.toml").write_text(f"[models.m]\n{body}\n")
    return p, server


def _history() -> Path:
    return Path(os.environ["NANOTUI_DATA_DIR"]) / "history.sqlite3"


def test_lone_surrogate_end_to_end(proto, workspace: Path, tmp_path: Path, capsys) -> None:
    p, server = proto
    server.script(
        p.model,
        Reply(text="writing \ud800 now", reasoning="think \udfff",
              calls=[Call("write_file", {"file_path": "x\ud800.txt", "content": "a\ud800b"}),
                     Call("read_file", {"file_path": "x\ud800.txt"})]),
        Reply(text="done \ud800"),
    )
    out = tmp_path / "run.json"
    code = main(["run", "--prompt", "go", "--workspace", str(workspace), "-m", "m", "--json", str(out),
                 "--no-judge"])
    assert code == 0
    table = capsys.readouterr().out
    assert "ok" in table and "agent" in table  # the final table was printed
    agent = json.loads(out.read_text(encoding="utf-8"))["agents"][0]
    assert agent["status"] == "ok", agent["error"]
    assert agent["final_answer"] == "done \ufffd"
    assert [(t["name"], t["ok"]) for t in agent["tool_calls"]] == [("write_file", True), ("read_file", True)]
    assert agent["tool_calls"][0]["arguments"]["file_path"] == "x\ufffd.txt"
    assert agent["files_changed"] == ["x\ufffd.txt"]
    with RunStore(_history()) as store:
        [summary] = store.list_runs()
        assert summary.status == "finished"
        run = store.load_run(summary.run_id)
        assert run.agents[0].status == "ok" and run.agents[0].final_answer == "done \ufffd"
        events = store.events(summary.run_id)
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        assert text == "writing \ufffd nowdone \ufffd"
        assert store.integrity_check() == "ok"


def _key_replies(p: Protocol) -> list[Reply]:
    said = f"my key is {KEY} right?"
    return [
        Reply(text=said, text_chunks=len(said), reasoning=f"the key {KEY}.", reasoning_chunks=len(KEY) + 9,
              calls=[Call("write_file", {"file_path": "k.txt", "content": KEY})], arg_chunks=60),
        Reply(text=f"again {KEY[:12]}", chunk_delay_s=0.3, text_chunks=2),  # two deltas 0.3 s apart
        Reply(text=f"bye {KEY}"),
    ]


def _assert_no_key(blob: str | bytes, where: str) -> None:
    if isinstance(blob, bytes):
        assert KEY.encode() not in blob and SECRET_PART.encode() not in blob, where
        assert KEY[:12].encode() not in blob, where
    else:
        assert KEY not in blob and SECRET_PART not in blob and KEY[:12] not in blob, where


def test_key_in_pieces_never_stored_or_shown(proto, workspace: Path, tmp_path: Path, monkeypatch) -> None:
    p, server = proto
    monkeypatch.setenv(p.key_env, KEY)
    server.script(p.model, *_key_replies(p))
    shown: list = []
    plan = plan_run(models=["m"], prompt="echo", workspace=workspace, providers=SdkProviders())
    with RunStore(_history()) as store:
        recorded = RecordedRun(plan, providers=SdkProviders(), history=store, sink=shown.append)
        import asyncio

        run = asyncio.run(recorded.execute())
        assert run.agents[0].status == "ok", run.agents[0].error
        assert (workspace.parent / "ws").exists()
        # What the screen got, piece by piece and rebuilt.
        for kind in (TextDelta, ReasoningDelta):
            pieces = [e.text for e in shown if isinstance(e, kind)]
            assert pieces and "[redacted]" in "".join(pieces)
            _assert_no_key("".join(pieces), kind.__name__)
        started = [e for e in shown if isinstance(e, ToolCallStarted)]
        _assert_no_key(json.dumps(started[0].arguments) + started[0].raw_arguments, "tool arguments")
        _assert_no_key(" ".join(e.result for e in shown if isinstance(e, ToolCallFinished)), "tool result")
        # The raw database files while the run's writes are still in the WAL.
        raw = b"".join(f.read_bytes() for f in _history().parent.iterdir() if f.name.startswith("history"))
        _assert_no_key(raw, "history files")
        replay = store.events(run.run_id)
        _assert_no_key("".join(getattr(e, "text", "") for e in replay), "replay")
        _assert_no_key(json.dumps(store.load_run(run.run_id).to_dict()), "stored result")
    raw = b"".join(f.read_bytes() for f in _history().parent.iterdir())
    _assert_no_key(raw, "history after close")


def test_key_in_pieces_through_the_cli(openai_server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    said = f"{KEY} "
    openai_server.script("gpt-5-mini", Reply(text=said, text_chunks=len(said), reasoning=KEY,
                                             reasoning_chunks=len(KEY)))
    out, report = tmp_path / "run.json", tmp_path / "report.md"
    assert main(["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--no-judge", "--json", str(out),
                 "--report", str(report)]) == 0
    _assert_no_key(out.read_text(), "json")
    _assert_no_key(report.read_text(), "report")
    assert "[redacted]" in out.read_text()


def test_redact_masks_the_whole_key_whatever_its_prefix(monkeypatch) -> None:
    assert redact(KEY) == "[redacted]"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-OTHERKEY0123456789")
    assert redact(KEY) == "[redacted]"  # the shared public prefix does not stop the mask early
    assert redact(f"key={KEY}.") == "key=[redacted]."
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-abcdefghijklmnop")
    assert redact("x ollama-abcdefghijklmnop y") == "x [redacted] y"
    assert redact("echo ollama-… truncated") == "echo ollama-… truncated"  # 7 chars: not a prefix mask


def test_roster_api_key_env_is_a_secret(monkeypatch) -> None:
    from nanotui.engine.roster.roster_file import load_roster

    monkeypatch.setenv("MY_GATEWAY_TOKEN", "gw-9f8e7d6c5b4a39281706")
    assert "gw-9f8e7d6c5b4a39281706" in redact("gw-9f8e7d6c5b4a39281706")  # not known yet
    roster_file = Path(os.environ["NANOTUI_CONFIG_DIR"]) / "roster.toml"
    roster_file.parent.mkdir(parents=True, exist_ok=True)
    roster_file.write_text('[models.gw]\nprovider = "openai"\nmodel = "x"\nbase_url = "http://127.0.0.1:9/v1"\n'
                           'api_key_env = "MY_GATEWAY_TOKEN"\n')
    load_roster()
    assert redact("token gw-9f8e7d6c5b4a39281706") == "token [redacted]"


@pytest.mark.parametrize("pieces", [
    [KEY[:7], KEY[7:]],
    list(KEY),
    ["say ", "s", "k", "-", "proj-ADVER", "SARIAL0123456789abcdef", " ok"],
])
def test_stream_redactor_holds_back_what_could_become_a_key(pieces: list[str], monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    r = StreamRedactor()
    out = [r.feed(p) for p in pieces] + [r.flush()]
    assert "".join(out) == redact("".join(pieces))
    for piece in out:
        assert not any(ch in piece for ch in "ADV"), out


def test_stream_redactor_lets_ordinary_text_through_unchanged(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    text = "skip the sk-learn bits; ask sk, s, and keys. " * 3
    r = StreamRedactor()
    out = "".join(r.feed(c) for c in text) + r.flush()
    assert out == text


def test_a_word_ending_like_a_key_starts_is_not_held(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    r = StreamRedactor()
    assert r.feed("it never finishes") == "it never finishes"  # a stalled stream still shows the "s"
    assert r.feed(" s") == " "  # a lone "s" may start the key: held until the next piece


def test_stream_redactor_flush_masks_a_cut_short_key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    r = StreamRedactor()
    assert r.feed("the key is sk-proj-ADV") == "the key is "
    assert r.flush() == "[redacted]"


def test_safe_text_replaces_lone_surrogates_only() -> None:
    assert safe_text("a\ud800b\udfff") == "a\ufffdb\ufffd"
    clean = "plain é 😀"
    assert safe_text(clean) is clean
    assert safe_value({"k\ud800": ["v\udc00", 1]}) == {"k\ufffd": ["v\ufffd", 1]}
