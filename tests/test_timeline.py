"""Where each agent's time went (issue 15): events carry their time on the agent's clock, and
the timeline's segments tile the agent's wall time — queued, waiting for the first token,
streaming, reasoning, tools, retry waits — live, from the store, and in ``--json``."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from nanotui.engine.agent.loop import AgentTask, Limits
from nanotui.engine.agent.timeline import TIMELINE_KINDS, timeline_of
from nanotui.engine.events import (
    AgentFinished,
    AgentQueued,
    AgentStarted,
    ReasoningDelta,
    RequestStarted,
    ResponseStarted,
    RetryScheduled,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from nanotui.engine.history.store import RunStore
from nanotui.engine.report.data import build_report
from nanotui.engine.report.markdown import render_markdown
from nanotui.engine.results import TimelineSegment
from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.run.orchestrator import Orchestrator
from nanotui.providers.registry import SdkProviders
from tests.helpers import FAST_RETRY
from tests.servers.script import Call, Fault, Reply
from tests.stored_runs import agent, run_of


def seg(kind: str, start: float, end: float, turn: int | None = None, tool: str | None = None) -> TimelineSegment:
    return TimelineSegment(kind, start, end, turn, tool)


def test_events_fold_into_contiguous_segments_by_kind() -> None:
    a = "a1"
    events = [
        AgentQueued(a, at=0.0),
        AgentStarted(a, at=1.0),
        RequestStarted(a, 1, 1, 0.0, at=1.0),
        ResponseStarted(a, 1, at=1.5),
        ReasoningDelta(a, "hm", at=1.5),
        TextDelta(a, "I will read", at=2.0),
        TextDelta(a, " the file", at=2.2),
        TurnFinished(a, 1, at=2.5),
        ToolCallStarted(a, "c1", "read_file", at=2.5),
        ToolCallFinished(a, "c1", "read_file", at=3.0),
        RequestStarted(a, 2, 1, 0.5, at=3.5),  # waited half a second for a slot between turns
        RetryScheduled(a, 1, 1.0, "429", at=4.0),
        RequestStarted(a, 2, 2, 0.0, at=5.0),
        ResponseStarted(a, 2, at=5.25),
        TextDelta(a, "PLUM", at=5.25),
        TurnFinished(a, 2, at=6.0),
        AgentFinished(a, at=6.0),
    ]
    assert timeline_of(events) == [
        seg("queued", 0.0, 1.0),
        seg("waiting", 1.0, 1.5, 1),
        seg("reasoning", 1.5, 2.0, 1),
        seg("streaming", 2.0, 2.5, 1),
        seg("tool", 2.5, 3.0, 1, "read_file"),  # its bookkeeping until the next request too
        seg("queued", 3.0, 3.5, 2),
        seg("waiting", 3.5, 4.0, 2),
        seg("retry", 4.0, 5.0, 2),
        seg("waiting", 5.0, 5.25, 2),
        seg("streaming", 5.25, 6.0, 2),
    ]
    assert {s.kind for s in timeline_of(events)} <= set(TIMELINE_KINDS)


def test_an_agent_cut_short_ends_at_its_wall_time_and_old_runs_have_none() -> None:
    events = [AgentStarted("a1", at=0.2), RequestStarted("a1", 1, at=0.2), TextDelta("a1", "par", at=0.7)]
    assert timeline_of(events, wall_s=2.0)[-1] == seg("streaming", 0.7, 2.0, 1)
    free_slot = [AgentQueued("a1", at=0.0), AgentStarted("a1", at=0.00002), RequestStarted("a1", 1, 1, 0.0004, at=0.0005),
                 AgentFinished("a1", at=1.0)]
    assert timeline_of(free_slot) == [seg("waiting", 0.0, 1.0, 1)]  # microseconds of taking a free slot are no wait
    untimed = [AgentStarted("a1"), TextDelta("a1", "x"), AgentFinished("a1")]  # recorded before times
    assert timeline_of(untimed) == []


async def test_a_real_run_has_a_timeline_that_adds_up_to_its_wall_time(openai_server, tmp_path: Path,
                                                                      workspace: Path) -> None:
    openai_server.script(
        "gpt-5-nano",
        Fault(status=429, message="slow down", retry_after=0.2),
        Reply(calls=[Call("read_file", {"file_path": "README.md"})], first_byte_delay_s=0.3),
        Reply(text="The secret word is PLUM.", first_byte_delay_s=0.2, chunk_delay_s=0.05, text_chunks=4),
    )
    openai_server.script("gpt-5-mini", Reply(text="PLUM", first_byte_delay_s=0.1))
    store = RunStore(tmp_path / "h.sqlite3")
    roster = load_roster()
    orch = Orchestrator(AgentTask("What is the secret word?", workspace),
                        [roster.resolve("openai:gpt-5-nano"), roster.resolve("openai:gpt-5-mini")],
                        providers=SdkProviders(), retry_policy=FAST_RETRY, limits=Limits(timeout_s=20),
                        provider_limits={"openai": 1}, sink=store.record)
    store.begin_run(orch.run_id, orch.task_ref, orch.specs, {})
    run = await orch.run()
    store.finish_run(run)

    for each in run.agents:
        segments = each.timeline
        assert segments[0].start_s == 0 and segments
        assert all(a.end_s == b.start_s for a, b in pairwise(segments))  # contiguous
        total = sum(s.duration_s for s in segments)
        assert total == pytest.approx(each.wall_s, rel=0.01)
    nano, mini = run.agents
    kinds = [s.kind for s in nano.timeline]
    assert kinds[:3] == ["waiting", "retry", "waiting"]  # it started first; the 429 came at once
    assert "tool" in kinds and kinds[-1] == "streaming"
    tool = next(s for s in nano.timeline if s.kind == "tool")
    assert (tool.turn, tool.tool) == (1, "read_file")
    assert sum(s.duration_s for s in nano.timeline if s.kind == "retry") == pytest.approx(nano.retry_wait_s, abs=0.05)
    assert nano.tool_calls[0].turn == 1
    # one OpenAI slot: mini waited for nano's whole run, and its timeline says so
    assert mini.timeline[0].kind == "queued" and mini.timeline[0].turn is None
    assert mini.timeline[0].duration_s == pytest.approx(mini.queue_s, abs=0.05)

    stored = store.load_run(run.run_id)
    assert [a.timeline for a in stored.agents] == [a.timeline for a in run.agents]
    events = store.events(run.run_id, "a1")
    assert all(b.at >= a.at for a, b in pairwise(events))
    assert events[-1].at == pytest.approx(nano.wall_s, abs=0.001)
    rebuilt = timeline_of(events)  # from the stored (merged, rounded) events
    assert [s.kind for s in rebuilt] == kinds
    assert sum(s.duration_s for s in rebuilt) == pytest.approx(nano.wall_s, rel=0.01)
    assert nano.to_dict()["timeline"][0] == {"kind": "waiting", "start_s": 0.0, "end_s": nano.timeline[0].end_s,
                                             "turn": 1, "tool": None}

    report = render_markdown(build_report(run))
    chart = report.split("## Where the time went", 1)[1].split("```mermaid\ngantt\n", 1)[1].split("```", 1)[0]
    bars = [line.strip() for line in chart.splitlines() if ":" in line and not line.strip().startswith(
        ("title", "dateFormat", "axisFormat"))]
    assert "    section GPT-5 nano" in chart and "    section GPT-5 mini" in chart
    assert all(re.fullmatch(r"[A-Za-z0-9 ._()/-]+ :(done, |active, |crit, )?a\d_\d+, \d+, \d+", b) for b in bars), bars
    assert any(b.startswith("retry t1 :crit, a1_") for b in bars)
    last = [b for b in bars if ":" in b and "a1_" in b][-1]
    assert last.endswith(f", {round(nano.wall_s * 1000)}")  # the chart ends where the agent did


def test_a_bar_too_thin_to_see_joins_the_one_before_in_the_chart() -> None:
    timeline = [seg("waiting", 0, 1.0, 1), seg("tool", 1.0, 1.001, 1, "list_files"), seg("streaming", 1.001, 2.0, 1),
                seg("tool", 2.0, 3.0, 1, "read_file"), seg("queued", 3.0, 3.5, 2), seg("streaming", 3.5, 6.0, 2)]
    run = run_of(agent("a1", wall_s=6.0, checks=(True,)))
    run.agents[0].timeline = timeline
    chart = render_markdown(build_report(run)).split("```mermaid\ngantt\n", 1)[1].split("```", 1)[0]
    assert [line.strip() for line in chart.splitlines()[4:]] == [
        "waiting t1 :done, a1_0, 0, 1001",  # list_files took 1 ms of a 6 s chart
        "streaming t1 :a1_1, 1001, 2000",
        "read_file t1 :active, a1_2, 2000, 3000",
        "queued t2 :done, a1_3, 3000, 3500",
        "streaming t2 :a1_4, 3500, 6000",
    ]


def test_the_report_leaves_the_chart_out_for_runs_recorded_without_times() -> None:
    report = render_markdown(build_report(run_of(agent("a1", checks=(True,)))))
    assert "Where the time went" not in report and "gantt" not in report
