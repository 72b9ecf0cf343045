"""`nanotui run` refuses what cannot work before any agent starts, names what it does not
know with a suggestion, and keeps the run when an output file fails at the end."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.commands import guards
from nanotui.engine.history.store import RunStore
from tests.servers.script import Reply
from tests.test_cli_run import _cli


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def _runs() -> list:
    with RunStore() as store:
        return store.list_runs()


def test_judge_and_no_judge_contradict(capsys) -> None:
    assert main(["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--judge", "openai:gpt-5",
                 "--no-judge"]) == 2
    assert "--no-judge cannot go with --judge or --jury" in _one_line_error(capsys)


@pytest.mark.parametrize("target", ["/proc/x.json", "/sys/x.json"])
def test_unwritable_output_is_refused_before_the_run(openai_server, target: str, capsys) -> None:
    assert main(["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--no-judge", "--json", target]) == 2
    assert f"--json {target}: cannot write in folder" in _one_line_error(capsys)
    assert openai_server.requests == [] and _runs() == []


def test_report_output_is_tried_first(capsys) -> None:
    assert main(["report", "latest", "-o", "/proc/x.md"]) == 2
    assert "--output /proc/x.md: cannot write in folder /proc" in _one_line_error(capsys)


def test_missing_output_folder_is_created(openai_server, tmp_path: Path) -> None:
    openai_server.script("gpt-5-mini", Reply(text="fine"))
    out = tmp_path / "out" / "deeper" / "run1.json"
    assert main(["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--no-judge", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["agents"][0]["final_answer"] == "fine"
    assert [p.name for p in out.parent.iterdir()] == ["run1.json"]  # the probe file is gone


def test_a_write_that_fails_at_the_end_keeps_the_run(openai_server, tmp_path: Path, capsys) -> None:
    openai_server.script("gpt-5-mini", Reply(text="fine", first_byte_delay_s=0.6))
    out = tmp_path / "run.json"
    # The path becomes a folder while the agent works: the probe passed, the write fails.
    timer = threading.Timer(0.2, out.mkdir)
    timer.start()
    try:
        code = main(["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--no-judge", "--json", str(out)])
    finally:
        timer.join()
    assert code == 1
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if "could not write" in x]
    [run] = _runs()
    assert f"--json {out}: could not write it" in line and f"nanotui report {run.run_id}" in line
    assert run.status == "finished"
    assert "Traceback" not in err


def test_a_large_run_needs_yes(openai_server, capsys) -> None:
    assert main(["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--no-judge", "--trials", "201"]) == 2
    line = _one_line_error(capsys)
    assert "a run of 201 agents (first turns alone at least $" in line and "needs --yes" in line
    assert openai_server.requests == [] and _runs() == []


def test_yes_starts_a_large_run(openai_server, monkeypatch) -> None:
    monkeypatch.setattr(guards, "LARGE_RUN", 2)
    openai_server.always("gpt-5-mini", Reply(text="fine"))
    assert main(["run", "--prompt", "hi", "-m", "openai:gpt-5-mini", "--no-judge", "--trials", "3", "--yes"]) == 0
    [run] = _runs()
    with RunStore() as store:
        assert [a.status for a in store.load_run(run.run_id).agents] == ["ok"] * 3


@pytest.mark.parametrize(("args", "expected"), [
    (["run", "--prompt", "hi", "-m", "gpt-5-mni"], "did you mean gpt-5-mini"),
    (["run", "basic-raed", "-m", "openai:gpt-5-mini"], "unknown task 'basic-raed'; did you mean basic-read?"),
])
def test_misspelt_names_get_a_suggestion(args: list[str], expected: str) -> None:
    proc = _cli(*args, env={"OPENAI_API_KEY": "sk-x"})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr


def test_unknown_price_is_named_at_the_start(openai_server, capsys) -> None:
    openai_server.script("gpt5-mini", Reply(text="fine"))
    assert main(["run", "--prompt", "hi", "-m", "openai:gpt5-mini", "--no-judge"]) == 0
    err = capsys.readouterr().err.splitlines()
    start = next(i for i, x in enumerate(err) if "running" in x)
    assert err[start + 1] == ("nanotui: price unknown for openai:gpt5-mini: its cost shows as ? "
                              "(did you mean openai:gpt-5-mini or openai:gpt-5-nano?)")
    assert os.environ["OPENAI_API_KEY"]  # the loopback key, never printed
