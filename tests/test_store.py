"""The run history: schema, recording, replay, interruption on reopen, prefixes, redaction."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nanotui.engine.errors import ConfigError
from nanotui.engine.events import (
    AgentFinished,
    AgentStarted,
    ReasoningDelta,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from nanotui.engine.history.codec import task_key
from nanotui.engine.history.reader import UNFINISHED_ERROR
from nanotui.engine.history.schema import SCHEMA_VERSION
from nanotui.engine.history.store import RunStore
from nanotui.engine.usage import Usage
from tests.stored_runs import agent, run_of, store_run, tool, verdict_for


@pytest.fixture
def store(tmp_path: Path):
    with RunStore(tmp_path / "history.sqlite3") as s:
        yield s


def test_default_location_schema_and_wal(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NANOTUI_DATA_DIR", str(tmp_path / "data"))
    with RunStore() as s:
        assert s.path == tmp_path / "data" / "history.sqlite3"
    db = sqlite3.connect(tmp_path / "data" / "history.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"runs", "agents", "events", "checks", "verdicts", "suites"}


def test_a_version_1_history_is_upgraded_in_place(tmp_path: Path) -> None:
    from nanotui.engine.history.schema import SCHEMA

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            old.execute(statement)
    old.execute("INSERT INTO runs (run_id, task_key, prompt, started_at, status, models, plan, versions)"
                " VALUES ('r1', 'basic-read', 'p', '2026-01-01T00:00:00+00:00', 'finished', '[]', '{}', '{}')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    with RunStore(path) as s:
        assert [r.run_id for r in s.list_runs()] == ["r1"]  # kept
        s.begin_suite("s1", None, {"tasks": ["basic-read"]})
        assert s.list_suites()[0].suite_id == "s1"
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_round_trip_with_versions_plan_and_checks(store: RunStore) -> None:
    a1 = agent("a1", checks=(True, False), tool_calls=[tool("read_file", file_path="x.txt")],
               files_changed=["out.txt"], file_diffs={"out.txt": "--- a/out.txt\n+++ b/out.txt\n@@ -0,0 +1 @@\n+hi\n"},
               ttft_s=0.5, emulated_tools=True)
    a2 = agent("a2", "anthropic:claude-opus-4-1", status="timeout", answer="")
    run = store_run(store, run_of(a1, a2), rubric="S: perfect. F: wrong.")
    loaded = store.load_run(run.run_id)
    assert [a.to_dict() for a in loaded.agents] == [a.to_dict() for a in run.agents]
    assert loaded.task == run.task and loaded.started_at == run.started_at
    assert loaded.extra["status"] == "finished" and not loaded.interrupted
    plan = loaded.extra["plan"]
    assert plan["rubric"] == "S: perfect. F: wrong." and plan["limits"]["max_turns"] == 6
    assert "five tools" in plan["system_prompt"]
    versions = loaded.extra["versions"]
    assert {"nanotui", "python", "openai", "anthropic", "genai-prices"} <= set(versions)
    assert versions["price_data"].startswith("genai-prices ") and "sha256" in versions["price_data"]
    assert loaded.extra["trials"] == {"a1": 1, "a2": 1}
    # checks live in their own table
    rows = store._db.execute("SELECT agent_id, name, passed FROM checks ORDER BY idx").fetchall()
    assert rows == [("a1", "check 1", 1), ("a1", "check 2", 0)]


def test_events_batched_coalesced_and_replayed(store: RunStore) -> None:
    run = run_of(agent("a1"), agent("a2", "openai:gpt-5-nano"))
    store.begin_run("r2", *_plan_for(run))
    sent = []
    for ev in (
        AgentStarted("a1", "openai:gpt-5-mini", "gpt-5-mini"),
        AgentStarted("a2", "openai:gpt-5-nano", "gpt-5-nano"),
        ReasoningDelta("a1", "let me "),
        ReasoningDelta("a1", "look"),
        ToolCallStarted("a1", "c1", "read_file", {"file_path": "a.txt"}, '{"file_path": "a.txt"}'),
        TextDelta("a2", "The "),
        ToolCallFinished("a1", "c1", "read_file", True, "hello", 5),
        TextDelta("a2", "answer "),
        TextDelta("a1", "It says "),
        TextDelta("a2", "is 42."),
        TextDelta("a1", "hello."),
        TurnFinished("a1", 1, Usage(100, 0, 0, 10, 2), Usage(100, 0, 0, 10, 2), 0.001, "end"),
    ):
        store.record(ev)
        sent.append(ev)
    # nothing is written per token: all of it is still buffered (interval not reached)
    assert store._db.execute("SELECT COUNT(*) FROM events WHERE run_id = 'r2'").fetchone()[0] == 0
    finished = agent("a1", answer="It says hello.")
    store.record(AgentFinished("a1", finished))  # an agent finishing commits at once
    rows = store._db.execute("SELECT seq, agent_id, kind FROM events WHERE run_id = 'r2' ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) < len(sent) + 1  # deltas were merged
    replay = store.events("r2", "a1")
    assert "".join(e.text for e in replay if isinstance(e, TextDelta)) == "It says hello."
    assert "".join(e.text for e in replay if isinstance(e, ReasoningDelta)) == "let me look"
    assert [type(e).__name__ for e in replay] == [
        "AgentStarted", "ReasoningDelta", "ToolCallStarted", "ToolCallFinished", "TextDelta", "TurnFinished",
        "AgentFinished",
    ]
    turn = next(e for e in replay if isinstance(e, TurnFinished))
    assert turn.total_usage == Usage(100, 0, 0, 10, 2) and turn.cost_usd == 0.001
    done = replay[-1]
    assert isinstance(done, AgentFinished) and done.result is not None and done.result.final_answer == "It says hello."
    a2 = store.events("r2", "a2")
    assert "".join(e.text for e in a2 if isinstance(e, TextDelta)) == "The answer is 42."
    store.flush()
    assert len(store.events("r2")) == len(store.events("r2", "a1")) + len(store.events("r2", "a2"))


def test_time_based_flush(store: RunStore, monkeypatch) -> None:
    run = run_of(agent("a1"))
    store.begin_run(run.run_id, *_plan_for(run))
    store.record(TextDelta("a1", "one"))
    monkeypatch.setattr("nanotui.engine.history.store.FLUSH_INTERVAL_S", 0.0)
    store.record(TextDelta("a1", " two"))
    assert store._db.execute("SELECT data FROM events").fetchall() == [
        (json.dumps({"kind": "text_delta", "agent_id": "a1", "at": 0.0, "text": "one two"}, separators=(",", ":")),)
    ]


def _plan_for(run):
    from nanotui.engine.agent.loop import AgentTask, Limits
    from nanotui.engine.run.plan import RunPlan
    from tests.stored_runs import spec_of

    plan = RunPlan(run.task, AgentTask(run.task.prompt), [spec_of(a.model, a.display_name) for a in run.agents],
                   Limits())
    return plan.task_ref, plan.specs, plan.describe()


def test_mark_interrupted_keeps_finished_agents(store: RunStore) -> None:
    run = run_of(agent("a1"), agent("a2"), agent("a3"))
    store.begin_run(run.run_id, *_plan_for(run))
    store.record(AgentFinished("a1", run.agents[0]))
    store.mark_interrupted(run.run_id)
    loaded = store.load_run(run.run_id)
    assert loaded.interrupted and loaded.extra["status"] == "interrupted"
    assert [a.status for a in loaded.agents] == ["ok", "cancelled", "cancelled"]
    assert loaded.agents[1].error == UNFINISHED_ERROR
    (summary,) = store.list_runs()
    assert summary.interrupted and (summary.agents_finished, summary.agents_total) == (1, 3)


def test_finish_run_commits_agents_the_sink_missed(store: RunStore) -> None:
    run = run_of(agent("a1"), agent("a2", status="cancelled"))
    run.interrupted = True
    store.begin_run(run.run_id, *_plan_for(run))
    store.finish_run(run)
    loaded = store.load_run(run.run_id)
    assert loaded.interrupted and [a.to_dict() for a in loaded.agents] == [a.to_dict() for a in run.agents]


def test_a_run_whose_process_died_is_interrupted_on_next_open(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with RunStore(path) as s:
        run = run_of(agent("a1"), agent("a2"))
        s.begin_run(run.run_id, *_plan_for(run))
        s.record(AgentFinished("a1", run.agents[0]))
        s.begin_run("alive", *_plan_for(run))  # this process: alive
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        s._db.execute("UPDATE runs SET pid = ? WHERE run_id = ?", (int(dead.stdout), run.run_id))
    with RunStore(path) as s:
        status = {r.run_id: r.status for r in s.list_runs()}
        assert status == {run.run_id: "interrupted", "alive": "running"}
        loaded = s.load_run(run.run_id)
        assert [a.status for a in loaded.agents] == ["ok", "cancelled"]
        assert s.integrity_check() == "ok"


def test_run_id_prefixes(store: RunStore) -> None:
    # begun in this order within one second: the random part of the id does not decide "latest"
    for run_id in ("20260101-000000-aaaaaa", "20260102-000000-cccccc", "20260101-000000-aaabbb"):
        store_run(store, run_of(agent("a1"), run_id=run_id))
    assert store.resolve_run_id("20260102") == "20260102-000000-cccccc"
    assert store.resolve_run_id("20260101-000000-aaab") == "20260101-000000-aaabbb"
    assert store.resolve_run_id("20260101-000000-aaaaaa") == "20260101-000000-aaaaaa"
    assert store.resolve_run_id("latest") == "20260101-000000-aaabbb"  # same start time: the last begun
    with pytest.raises(ConfigError, match="matches several runs"):
        store.resolve_run_id("20260101-000000-aaa")
    with pytest.raises(ConfigError, match="no stored run"):
        store.resolve_run_id("1999")
    with pytest.raises(ConfigError, match="no stored run"):
        store.resolve_run_id("2026%")  # LIKE wildcards are literal


def test_verdicts_append_and_latest_wins(store: RunStore) -> None:
    run = store_run(store, run_of(agent("a1"), agent("a2")))
    assert store.latest_verdict(run.run_id) is None
    first = verdict_for(run, {"a1": "A", "a2": "B"})
    second = verdict_for(run, {"a1": "S", "a2": None}, status="partial")
    assert store.add_verdict(run.run_id, first) == 1
    assert store.add_verdict(run.run_id, second) == 2
    assert [v.status for v in store.verdicts(run.run_id)] == ["ok", "partial"]
    latest = store.latest_verdict(run.run_id)
    assert latest.to_dict() == second.to_dict()
    assert store.list_runs()[0].judge == "anthropic:claude-opus-4-1"


def test_list_runs_filters_and_orders(store: RunStore) -> None:
    store_run(store, run_of(agent("a1"), run_id="r-old"))
    newer = run_of(agent("a1"), agent("a2"), run_id="r-new", task_id=None, prompt="hello there")
    newer.started_at = "2026-02-01T00:00:00+00:00"
    store_run(store, newer)
    assert [r.run_id for r in store.list_runs()] == ["r-new", "r-old"]
    assert [r.run_id for r in store.list_runs(task="basic-read")] == ["r-old"]
    assert [r.run_id for r in store.list_runs(limit=1)] == ["r-new"]
    assert task_key(newer.task).startswith("prompt:")
    assert store.run_ids_for_task("basic-read") == ["r-old"]
    store_run(store, run_of(agent("a1"), run_id="a-same-second"))  # same started_at as r-old, begun later
    assert store.run_ids_for_task("basic-read") == ["r-old", "a-same-second"]
    assert store.run_ids_for_task("basic-read", up_to="r-old") == ["r-old"]


def test_secrets_never_written(tmp_path: Path, monkeypatch) -> None:
    key = "sk-fake-history-key-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    path = tmp_path / "h.sqlite3"
    with RunStore(path) as s:
        a1 = agent("a1", answer=f"the key is {key}", error=f"HTTP 401 for key {key[:20]}",
                   tool_calls=[tool("write_file", file_path="k.txt", content=key)])
        run = run_of(a1, prompt=f"print {key}")
        s.begin_run(run.run_id, *_plan_for(run))
        s.record(TextDelta("a1", key[:10]))  # a key split across deltas is merged, then masked
        s.record(TextDelta("a1", key[10:]))
        s.record(AgentFinished("a1", a1))
        s.finish_run(run)
        assert key not in json.dumps(s.load_run(run.run_id).to_dict())
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in raw and key[:12].encode() not in raw
    assert b"[redacted]" in raw


def test_newer_schema_and_garbage_files_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError, match="newer nanotui"):
        RunStore(newer)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match="not a usable nanotui history"):
        RunStore(garbage)
    assert garbage.read_bytes() == b"this is not a database" * 100  # never overwritten


def test_record_outside_a_run_is_ignored_and_write_failures_are_kept(store: RunStore) -> None:
    store.record(TextDelta("a1", "no run yet"))
    run = run_of(agent("a1"))
    store.begin_run(run.run_id, *_plan_for(run))
    store._db.execute("DROP TABLE events")  # simulate a broken disk write
    store.record(AgentFinished("a1", run.agents[0]))  # must not raise into the agent
    assert store.error is not None and "write failed" in store.error


class _Unserialisable:
    """What a buggy provider might leave in a tool call's arguments."""


@pytest.mark.parametrize("bad", [
    ToolCallStarted("a1", "c1", "write_file", {"file_path": _Unserialisable()}, "{}"),
    TextDelta("a1", "x\ud800y"),  # a lone surrogate that slipped past the agent loop
])
def test_one_bad_event_costs_nothing_else(store: RunStore, bad) -> None:
    a1, a2 = agent("a1"), agent("a2", "openai:gpt-5-nano")
    run = run_of(a1, a2)
    store.begin_run(run.run_id, *_plan_for(run))
    store.record(TextDelta("a2", "healthy before "))
    store.record(bad)  # buffered in the same batch as a2's events
    store.record(TextDelta("a2", "and after"))
    store.record(AgentFinished("a2", a2))  # flushes the batch
    store.record(AgentFinished("a1", a1))
    store.finish_run(run)
    replay = store.events(run.run_id, "a2")
    assert "".join(e.text for e in replay if isinstance(e, TextDelta)) == "healthy before and after"
    assert [a.status for a in store.load_run(run.run_id).agents] == ["ok", "ok"]
    if isinstance(bad, TextDelta):
        assert store.error is None  # made safe, stored
        assert [e.text for e in store.events(run.run_id, "a1") if isinstance(e, TextDelta)] == ["x\ufffdy"]
    else:
        assert store.error is not None and "TypeError" in store.error  # reported once
