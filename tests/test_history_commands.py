"""`nanotui history`, `nanotui show` and `nanotui report` on a history built by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.events import AgentFinished
from nanotui.engine.history.store import RunStore
from tests.stored_runs import agent, run_of, store_run, tool, verdict_for


@pytest.fixture
def history() -> list[str]:
    """Three runs: a judged task run, an ad-hoc run with trials, and an interrupted run."""
    with RunStore() as store:
        judged = run_of(
            agent("a1", "openai:gpt-5-mini", display_name="GPT-5 mini", wall_s=12, checks=(True, True),
                  answer="AMBER-FALCON-7", tool_calls=[tool("read_file", file_path="project.txt")]),
            agent("a2", "local:qwen2.5-coder-1.5b", display_name="Qwen 1.5B", wall_s=60, cost_usd=0.0,
                  checks=(True, False), emulated_tools=True, files_changed=["notes.md"]),
            run_id="20260101-100000-abc123",
        )
        store_run(store, judged, rubric="S: exact.")
        store.add_verdict(judged.run_id, verdict_for(judged, {"a1": "S", "a2": "C"}))
        trials = run_of(agent("a1"), agent("a2"), run_id="20260102-100000-def456", task_id=None,
                        prompt="Summarise   the\nREADME in one line please")
        trials.started_at = "2026-01-02T10:00:00+00:00"
        store_run(store, trials, trials=2)
        cut = run_of(agent("a1"), agent("a2", "openai:gpt-5-nano"), run_id="20260103-100000-abc999")
        cut.started_at = "2026-01-03T10:00:00+00:00"
        store.begin_run(cut.run_id, *_plan(cut), started_at=cut.started_at)
        store.record(AgentFinished("a1", cut.agents[0]))
        store.mark_interrupted(cut.run_id)
    return [judged.run_id, trials.run_id, cut.run_id]


def _plan(run):
    from nanotui.engine.agent.loop import AgentTask, Limits
    from nanotui.engine.run.plan import RunPlan
    from tests.stored_runs import spec_of

    plan = RunPlan(run.task, AgentTask(run.task.prompt), [spec_of(a.model, a.display_name) for a in run.agents],
                   Limits())
    return plan.task_ref, plan.specs, plan.describe()


def out_of(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def error_of(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    return lines[0]


def test_empty_history(capsys) -> None:
    assert out_of(capsys, "history").startswith("no stored runs yet (")
    assert json.loads(out_of(capsys, "history", "--json")) == []
    assert "history is empty" in error_of(capsys, "show", "latest")


def test_history_lists_newest_first(history: list[str], capsys) -> None:
    lines = out_of(capsys, "history").splitlines()
    assert lines[0].split() == ["run", "id", "started", "(UTC)", "task", "models", "status", "judge"]
    body = lines[2:]
    assert [line.split()[0] for line in body] == list(reversed(history))
    assert "interrupted (1/2 finished)" in body[0] and "openai:gpt-5-nano" in body[0]
    assert '"Summarise the README in one li…"' in body[1] and "finished" in body[1]
    assert "basic-read" in body[2] and "anthropic:claude-opus-4-1" in body[2]
    assert "openai:gpt-5-mini, local:qwen2.5-coder-1.5b" in body[2]
    data = json.loads(out_of(capsys, "history", "--json", "--task", "basic-read"))
    assert [r["run_id"] for r in data] == [history[2], history[0]]
    assert data[0]["interrupted"] and not data[1]["interrupted"]
    assert len(json.loads(out_of(capsys, "history", "--json", "--limit", "1"))) == 1


def test_history_rejects_a_bad_limit(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["history", "--limit", "0"])
    assert exc.value.code == 2
    assert "--limit expects a number of at least 1, got 0" in capsys.readouterr().err


def test_show_by_prefix(history: list[str], capsys) -> None:
    text = out_of(capsys, "show", "20260101")
    assert text.splitlines()[0] == f"run      {history[0]}"
    assert "task     basic-read — Read a fact" in text
    assert "judge    anthropic:claude-opus-4-1: ok, $0.1000 (not in the models' costs)" in text
    table = text.split("\n\n")[1].splitlines()
    assert table[0].split()[:8] == ["#", "agent", "model", "perf", "speed", "cost", "overall", "status"]
    # Next to a free local model, $0.01 is not an F: the cost floor is a cent, so (0.01+0.01)/(0+0.01) = 2 -> B
    assert table[2].split()[:8] == ["1", "a1", "GPT-5", "mini", "S", "S", "B", "S"]
    assert "2. a2 Qwen 1.5B (local:qwen2.5-coder-1.5b) — ok [emulated tools]" in text
    assert "judge: rationale for a2" in text and "failed check: check 2 — expected something else" in text
    assert "tools: read_file" in text and "files changed: notes.md" in text and "| AMBER-FALCON-7" in text
    checks_only = out_of(capsys, "show", "20260102")
    assert "(* = from checks)" not in checks_only and "judge    none" in checks_only


def test_show_errors_are_one_line(history: list[str], capsys) -> None:
    assert "matches several runs" in error_of(capsys, "show", "2026")
    assert error_of(capsys, "show", "nope") == (
        "nanotui: error: RUN_ID 'nope': no stored run has this id (see `nanotui history`)")


def test_report_to_stdout_file_and_json(history: list[str], capsys, tmp_path: Path) -> None:
    md = out_of(capsys, "report", "20260101")
    assert md.startswith("# nanotui report: Read a fact")
    target = tmp_path / "r.md"
    assert main(["report", "20260101", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == md
    as_json = tmp_path / "r.json"
    assert main(["report", "20260101", "-o", str(as_json)]) == 0  # the suffix picks JSON
    data = json.loads(as_json.read_text())
    assert data["run"]["run_id"] == history[0] and data["judge"]["status"] == "ok"
    assert json.loads(out_of(capsys, "report", history[0], "--format", "json")) == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.md"]  # no temp files left
    trials = json.loads(out_of(capsys, "report", "20260102", "--format", "json"))
    assert trials["run"]["trials"] == 2 and trials["trials"][0]["trials"] == 2
    interrupted = out_of(capsys, "report", "20260103")
    assert "| Status | interrupted (cut short" in interrupted


def test_report_output_errors(history: list[str], capsys, tmp_path: Path) -> None:
    assert "cannot write in folder /proc" in error_of(capsys, "report", "20260101", "-o", "/proc/r.md")
    assert error_of(capsys, "report", "20260101", "-o", str(tmp_path)).endswith("is a directory, expected a file path")
