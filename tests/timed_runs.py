"""A stored run with event times, built by hand (fixed ids, dates and ``at`` values), for the
timeline and side-by-side screens: nothing on screen depends on a clock."""

from __future__ import annotations

from nanotui.engine.events import TextDelta, TurnFinished
from nanotui.engine.history.store import RunStore
from nanotui.engine.results import RunResult, TimelineSegment, ToolCallRecord
from nanotui.engine.usage import Usage
from tests.stored_runs import agent, run_of, store_run

RUN_ID = "20261101-120000-tl0001"
DIFF_MINI = (
    "--- a/greet.py\n+++ b/greet.py\n@@ -1,2 +1,2 @@\n def greet(name):\n"
    "-    return 'Hello ' + nam\n+    return 'Hello ' + name\n"
)
DIFF_HAIKU = (
    "--- a/greet.py\n+++ b/greet.py\n@@ -1,2 +1,3 @@\n def greet(name):\n"
    "-    return 'Hello ' + nam\n+    # fixed\n+    return 'Hello ' + str(nam)\n"
)


def seg(kind: str, start: float, end: float, turn: int | None = None, tool: str | None = None) -> TimelineSegment:
    return TimelineSegment(kind, start, end, turn, tool)


def call(name: str, turn: int, ok: bool = True, **arguments) -> ToolCallRecord:
    return ToolCallRecord(f"call_{name}_{turn}", name, arguments, ok, 120, "" if ok else "Error: no such file",
                          turn=turn)


# GPT-5 mini: reads, edits, reads again, answers; a short tool run in each of turns 1-3.
MINI_TIMELINE = [
    seg("queued", 0.0, 0.3), seg("waiting", 0.3, 1.8, 1), seg("reasoning", 1.8, 3.0, 1),
    seg("streaming", 3.0, 3.4, 1), seg("tool", 3.4, 3.45, 1, "read_file"),
    seg("waiting", 3.45, 5.0, 2), seg("streaming", 5.0, 5.6, 2), seg("tool", 5.6, 5.7, 2, "edit_file"),
    seg("waiting", 5.7, 7.2, 3), seg("streaming", 7.2, 7.5, 3), seg("tool", 7.5, 7.55, 3, "read_file"),
    seg("waiting", 7.55, 9.0, 4), seg("streaming", 9.0, 12.4, 4),
]
# Claude 3 Haiku: a rate limit before its second turn, a failed read, a shorter run.
HAIKU_TIMELINE = [
    seg("queued", 0.0, 0.1), seg("waiting", 0.1, 0.7, 1), seg("streaming", 0.7, 1.2, 1),
    seg("tool", 1.2, 1.25, 1, "read_file"), seg("retry", 1.25, 3.25, 2), seg("waiting", 3.25, 3.6, 2),
    seg("streaming", 3.6, 4.0, 2), seg("tool", 4.0, 4.02, 2, "read_file"), seg("waiting", 4.02, 4.5, 3),
    seg("streaming", 4.5, 6.1, 3),
]


def timed_run(*, timeline: bool = True) -> RunResult:
    """Three agents of one run; without ``timeline`` they look like a run recorded before
    nanotui kept event times (no segments, turn 0 on every tool call)."""
    mini = agent("a1", "openai:gpt-5-mini", display_name="GPT-5 mini", wall_s=12.4, cost_usd=0.0123,
                 checks=(True, True, True), answer="Fixed the typo in greet.py.\nThe tests pass now.",
                 usage=Usage(input_tokens=8200, output_tokens=910), ttft_s=1.5, turns=4,
                 tool_calls=[call("read_file", 1, file_path="greet.py"),
                             call("edit_file", 2, file_path="greet.py", old_str="nam", new_str="name"),
                             call("read_file", 3, file_path="greet.py")],
                 files_changed=["greet.py"], file_diffs={"greet.py": DIFF_MINI}, timeline=list(MINI_TIMELINE))
    haiku = agent("a2", "anthropic:claude-3-haiku-20240307", display_name="Claude 3 Haiku", wall_s=6.1,
                  cost_usd=0.0021, checks=(True, False, True), answer="I changed greet.py.",
                  usage=Usage(input_tokens=6400, output_tokens=320), ttft_s=0.6, turns=3, retries=1,
                  retry_wait_s=2.0, queue_s=0.1,
                  tool_calls=[call("read_file", 1, file_path="greet.py"),
                              call("read_file", 2, False, file_path="tests.py")],
                  files_changed=["greet.py"], file_diffs={"greet.py": DIFF_HAIKU}, timeline=list(HAIKU_TIMELINE))
    oss = agent("a3", "ollama:gpt-oss:20b", display_name="gpt-oss 20b (Ollama)", wall_s=0.2, cost_usd=0.0,
                status="error", checks=(False, False, False), answer="", turns=0,
                error="Ollama not reachable at http://127.0.0.1:11434", usage=Usage(), ttft_s=None,
                timeline=[seg("queued", 0.0, 0.05), seg("waiting", 0.05, 0.2, 1)])
    run = run_of(mini, haiku, oss, run_id=RUN_ID, task_id="fix-bug")
    run.task.title = "Fix a bug with edit_file so the tests pass"
    run.started_at = "2026-11-01T12:00:00+00:00"
    run.finished_at = "2026-11-01T12:00:13+00:00"
    if not timeline:
        for a in run.agents:
            a.timeline = []
            for c in a.tool_calls:
                c.turn = 0
    return run


# What each agent said before its tool calls, turn by turn (the stored text deltas).
TEXTS = {
    "a1": [(1, "Let me read greet.py first."), (4, "Fixed the typo in greet.py.\nThe tests pass now.")],
    "a2": [(3, "I changed greet.py.")],
}


def store_timed_run(store: RunStore, run: RunResult | None = None) -> RunResult:
    """Put the run in ``store`` with its text deltas and turn ends (fixed ``at`` values)."""
    run = run or timed_run()
    store_run(store, run, finish=False)
    for a in run.agents:
        texts = dict(TEXTS.get(a.agent_id, []))
        for turn in range(1, a.turns + 1):
            if turn in texts:
                store.record(TextDelta(a.agent_id, texts[turn], at=turn * 1.0), run.run_id)
            store.record(TurnFinished(a.agent_id, turn, at=turn * 1.0 + 0.5), run.run_id)
    store.flush()
    store.finish_run(run)
    return run
