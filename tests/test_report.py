"""Reports: same bytes every time, the same data in both formats, no key text anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from nanotui.cli import main
from nanotui.engine.history.store import RunStore
from nanotui.engine.report.data import build_report, render_json, report_for_run
from nanotui.engine.report.markdown import render_markdown
from tests.servers.script import Call, Reply
from tests.stored_runs import agent, run_of, store_run, tool, verdict_for


def basic_read_script(server, model: str, answer: str = "AMBER-FALCON-7") -> None:
    server.script(model, Reply(calls=[Call("read_file", {"file_path": "project.txt"})]), Reply(text=answer))


def report_text(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(["report", *args]) == 0
    return capsys.readouterr().out


def test_report_is_the_same_bytes_every_time(openai_server, tmp_path: Path, capsys) -> None:
    basic_read_script(openai_server, "gpt-5-mini")
    basic_read_script(openai_server, "gpt-5-nano", answer="The codename is AMBER-FALCON-7.")
    out = tmp_path / "run.json"
    written = tmp_path / "report.md"
    assert main(["run", "basic-read", "-m", "openai:gpt-5-mini", "-m", "openai:gpt-5-nano", "--no-judge",
                 "--json", str(out), "--report", str(written)]) == 0
    run_id = json.loads(out.read_text())["run_id"]
    first = report_text(capsys, run_id)
    assert first == report_text(capsys, run_id) == written.read_text(encoding="utf-8")
    as_json = report_text(capsys, run_id, "--format", "json")
    assert as_json == report_text(capsys, run_id[:16], "--format", "json")
    # A later run of the same task does not change this run's report.
    basic_read_script(openai_server, "gpt-5-mini")
    assert main(["run", "basic-read", "-m", "openai:gpt-5-mini", "--no-judge"]) == 0
    assert report_text(capsys, run_id) == first
    with RunStore() as store:
        latest = store.resolve_run_id("latest")
        assert "Across 2 stored runs of this task" in report_for_run(store, latest)
    # What the markdown says, the JSON carries.
    data = json.loads(as_json)
    assert data["format"] == "nanotui-report/1" and data["run"]["run_id"] == run_id
    assert data["judge"] is None and data["grading_note"].startswith("checks only")
    ranking = {r["model"]: r for r in data["ranking"]}
    assert ranking["openai:gpt-5-mini"]["grades"]["performance"] == "A"  # 3/3 checks
    assert ranking["openai:gpt-5-nano"]["grades"]["performance"] == "B"  # 2/3: not the codename alone
    assert ranking["openai:gpt-5-mini"]["rank"] == 1
    assert data["method"]["rubric"].strip().startswith("S: reads the file")
    assert data["versions"]["nanotui"] and data["price_source"].startswith("genai-prices")
    for needle in ("# nanotui report: Read a fact from a file", "| Price source | genai-prices", "## Ranking",
                   "```mermaid", "quadrantChart", "## Quality versus cost", "Pareto front", "## Models",
                   "### 1. GPT-5 mini", "**Tool trace** (1 call(s))", "`read_file`", "✅ read the file with read_file",
                   "❌ replies with the codename alone", "## Judge", "No judge verdict", "## Method",
                   "<summary>System prompt</summary>", "<summary>Rubric given to the judge</summary>",
                   "| max_turns | 6 |"):
        assert needle in first, needle
    assert "performance from the task's checks" in first or "checks only" in first


def test_a_fake_key_never_reaches_history_or_reports(openai_server, anthropic_server, tmp_path: Path, monkeypatch,
                                                     capsys) -> None:
    # Not shaped like a key, so only the environment-based masking can catch it.
    key = "fake-key-Zq9XvT3LmN8pR2wK7"
    judge_key = "another-fake-Hk4Pw8Nq2Lx6Vb"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("ANTHROPIC_API_KEY", judge_key)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "env.txt").write_text(f"OPENAI_API_KEY={key}\n")
    openai_server.script(
        "gpt-5-mini",
        Reply(calls=[Call("read_file", {"file_path": "env.txt"})], text=f"Reading. {key[:13]}"),
        Reply(calls=[Call("write_file", {"file_path": "copy.txt", "content": f"copied {key}"})]),
        Reply(text=f"The key is {key}.", text_chunks=7),  # split across deltas
    )
    anthropic_server.script("claude-opus-4-1", Reply(calls=[Call("submit_grades", {"grades": [
        {"candidate": "Candidate A", "grade": "F", "rationale": f"It leaked {key} and {judge_key}."}]})]))
    out = tmp_path / "out.json"
    report = tmp_path / "report.md"
    assert main(["run", "--prompt", f"Print the key {key}", "--workspace", str(ws), "-m", "openai:gpt-5-mini",
                 "--json", str(out), "--report", str(report)]) == 0
    run_id = json.loads(out.read_text())["run_id"]
    texts = {
        "--json": out.read_text(),
        "--report": report.read_text(),
        "report md": report_text(capsys, run_id),
        "report json": report_text(capsys, run_id, "--format", "json"),
    }
    capsys.readouterr()
    assert main(["show", run_id]) == 0 and main(["history"]) == 0
    texts["show + history"] = capsys.readouterr().out
    with RunStore() as store:
        events = store.events(run_id)
        texts["replayed events"] = json.dumps([e.to_dict() for e in events], default=str)
    history_dir = Path(str(RunStore().path.parent))
    raw = b"".join(p.read_bytes() for p in history_dir.iterdir() if p.is_file())
    for where, text in texts.items():
        assert key not in text and key[:8] not in text and judge_key not in text, where
        assert "[redacted]" in text or where == "show + history", where
    assert key.encode() not in raw and judge_key.encode() not in raw
    assert b"[redacted]" in raw
    # and the data is otherwise intact
    data = json.loads(texts["report json"])
    (a,) = data["agents"]
    assert a["final_answer"] == "The key is [redacted]." and a["grades"]["performance"] == "F"
    assert "copy.txt" in a["file_diffs"]


def test_report_layout_from_a_stored_run(tmp_path: Path) -> None:
    diff = "--- a/notes.md\n+++ b/notes.md\n@@ -0,0 +1,2 @@\n+```\n+PLUM | PEAR\n"
    a1 = agent("a1", "openai:gpt-5-mini", display_name="GPT-5 mini", wall_s=12, cost_usd=0.004, checks=(True, True),
               tool_calls=[tool("read_file", file_path="README.md"), tool("get_file_info", ok=False, file_path="x")],
               files_changed=["notes.md"], file_diffs={"notes.md": diff}, ttft_s=1.25, answer="PLUM ``` done")
    a2 = agent("a2", "local:qwen2.5-coder-1.5b", display_name="Qwen2.5 Coder 1.5B", wall_s=80, cost_usd=0.0,
               checks=(True, False), emulated_tools=True, answer="")
    a3 = agent("a3", "anthropic:claude-opus-4-1", display_name="Claude Opus 4.1", wall_s=20, cost_usd=None,
               status="error", error="HTTP 529: overloaded | try later", checks=(False, False))
    run = run_of(a1, a2, a3)
    with RunStore(tmp_path / "h.sqlite3") as store:
        store_run(store, run, rubric="S: says PLUM.")
        store.add_verdict(run.run_id, verdict_for(run, {"a1": "S", "a2": "C", "a3": "F"}))
        md = report_for_run(store, run.run_id, "md")
        js = json.loads(report_for_run(store, run.run_id, "json"))
    assert md.index("### 1. GPT-5 mini") < md.index("### 2. Qwen2.5 Coder 1.5B") < md.index("### 3. Claude Opus 4.1")
    assert "**emulated tools**" in md and md.count("**emulated tools**") == 1
    assert "<summary><code>notes.md</code></summary>" in md and "````diff" in md  # fence longer than the ``` inside
    assert "````text\nPLUM ``` done\n````" in md
    assert "HTTP 529: overloaded \\| try later" in md  # a pipe cannot break a table
    assert "> **Judge (Candidate A):** rationale for a1" in md
    assert "| `anthropic:claude-opus-4-1` (ok) |" in md and "not added to any candidate's cost" in md
    assert "Qwen2.5 Coder 1.5B: [" in md  # on the chart; opus (unknown cost) is not
    assert "Claude Opus 4.1: [" not in md
    assert "_(no answer)_" in md and "TTFT 1.25 s" in md
    assert [r["agent_id"] for r in js["ranking"]] == ["a1", "a2", "a3"]
    assert js["judge"]["cost_usd"] == 0.1 and js["quality_vs_cost"]["pareto_front"] == [
        "openai:gpt-5-mini", "local:qwen2.5-coder-1.5b"]
    assert js["agents"][1]["emulated_tools"] is True and js["history"] is None and js["trials"] is None
    # both renderings come from one data structure
    data = build_report(run, None)
    assert render_markdown(data) == render_markdown(build_report(run, None))
    assert json.loads(render_json(data))["grading_note"].startswith("checks only")


def test_trials_in_report_and_history(openai_server, tmp_path: Path, capsys) -> None:
    # The two trials run side by side on one script: both first turns are served (slowly)
    # before either second turn, so exactly one trial gets the right answer.
    read = Reply(calls=[Call("read_file", {"file_path": "project.txt"})], first_byte_delay_s=0.5)
    openai_server.script("gpt-5-mini", read, read, Reply(text="AMBER-FALCON-7"), Reply(text="no idea"))
    out = tmp_path / "out.json"
    assert main(["run", "basic-read", "-m", "openai:gpt-5-mini", "--trials", "2", "--no-judge",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [a["agent_id"] for a in data["agents"]] == ["a1", "a2"] and data["trials"] == 2
    report = json.loads(report_text(capsys, data["run_id"], "--format", "json"))
    (t,) = report["trials"]
    assert (t["trials"], t["passes"], t["pass_hat_1"], t["pass_hat_2"]) == (2, 1, 0.5, 0.0)
    assert t["wall_s"]["min"] <= t["wall_s"]["mean"] <= t["wall_s"]["max"]
    md = report_text(capsys, data["run_id"])
    assert "## Trials" in md and "| pass^1 | pass^2 |" in md and "GPT-5 mini #2" in md
    capsys.readouterr()
    assert main(["history"]) == 0
    assert "openai:gpt-5-mini x2" in capsys.readouterr().out


def test_report_shows_provider_metrics_and_retry_wait() -> None:
    from nanotui.engine.report.markdown import measured

    agent = {"metrics": {"load_s": 3.21, "gen_tokens_per_s": 25.0, "prompt_tokens_per_s": 3000.0},
             "retry_wait_s": 0.5, "working_s": 1.25}
    assert measured(agent) == [
        "model load 3.21 s (part of the wall time)", "prompt 3000.0 tok/s", "generation 25.0 tok/s",
        "waited 0.50 s to retry, working 1.25 s",
    ]
    assert measured({"metrics": {}, "retry_wait_s": 0.0, "working_s": 1.0}) == []


def test_quadrant_point_names_keep_what_the_brackets_said() -> None:
    run = run_of(agent("a1", "ollama:gpt-oss:20b", cost_usd=0.0, checks=(True,), display_name="gpt-oss 20b (Ollama)"),
                 agent("a2", checks=(True,)))
    text = render_markdown(build_report(run))
    assert "    gpt-oss 20b - Ollama: [" in text


def test_help_texts_are_plain_text(capsys) -> None:
    for command in ("run", "report", "show", "history", "tasks", "models"):
        try:
            main([command, "--help"])
        except SystemExit:
            pass
        out = capsys.readouterr().out
        assert "``" not in out, command
    main_help = __import__("subprocess").run(
        [__import__("sys").executable, "-m", "nanotui", "report", "--help"], capture_output=True, text=True
    ).stdout
    assert "latest" in main_help
