"""`nanotui run TASK` end to end against the scripted OpenAI loopback server: the task's
checks run on each agent's result and land in the --json output per agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nanotui.cli import main
from tests.servers.script import Call, Reply


def checks_by_model(out: Path) -> dict[str, dict[str, bool]]:
    data = json.loads(out.read_text())
    return {a["model"]: {c["name"]: c["passed"] for c in a["checks"]} for a in data["agents"]}


def test_run_basic_read_records_checks_per_agent(openai_server, isolated_cwd: Path, capsys) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(calls=[Call("read_file", {"file_path": "project.txt"})]),
        Reply(text="AMBER-FALCON-7"),
    )
    openai_server.script("gpt-5-nano", Reply(text="The codename is probably BLUE-HERON."))  # guesses, never reads
    out = isolated_cwd / "out.json"
    code = main(["run", "basic-read", "--model", "openai:gpt-5-mini", "--model", "openai:gpt-5-nano",
                 "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["task"]["id"] == "basic-read" and "read the file `project.txt`" in data["task"]["prompt"]
    mini, nano = data["agents"]
    assert mini["model"] == "openai:gpt-5-mini" and mini["status"] == "ok"
    assert mini["checks"] == [
        {"name": "read the file with read_file", "passed": True, "detail": "read_file with {\"file_path\": \"project.txt\"} succeeded 1 time(s)"},
        {"name": "names the codename", "passed": True, "detail": "answer contains \"AMBER-FALCON-7\""},
        {"name": "replies with the codename alone", "passed": True, "detail": "answer matches exactly"},
    ]
    assert checks_by_model(out)["openai:gpt-5-nano"] == {
        "read the file with read_file": False, "names the codename": False, "replies with the codename alone": False,
    }
    assert all(c["detail"] for c in nano["checks"])
    table = capsys.readouterr().out
    assert "checks" in table.splitlines()[0] and "3/3" in table and "0/3" in table
    # The model saw the read-only task's prompt and the file's real content.
    second = openai_server.requests_for("/responses")
    assert any("AMBER-FALCON-7" in json.dumps(r.body) for r in second)


def test_run_task_variables_reach_prompt_and_checks(openai_server, isolated_cwd: Path) -> None:
    task_dir = isolated_cwd / "tasks"
    (task_dir / "fixture").mkdir(parents=True)
    (task_dir / "fixture" / "a.txt").write_text("alpha\n")
    (task_dir / "fixture" / "b.txt").write_text("beta\n")
    (task_dir / "pick.md").write_text(
        '+++\nworkspace = "fixture"\n\n[variables]\nfile = "a.txt"\nword = "alpha"\n\n'
        '[[checks]]\ntype = "tool_used"\ntool = "read_file"\nargs = { file_path = "{{file}}" }\n\n'
        '[[checks]]\ntype = "exact"\nvalue = "{{word}}"\n+++\nRead {{file}} and reply with its one word.\n'
    )
    openai_server.script("gpt-5-mini", Reply(calls=[Call("read_file", {"file_path": "b.txt"})]), Reply(text="beta"))
    out = isolated_cwd / "out.json"
    assert main(["run", "pick", "-m", "openai:gpt-5-mini", "--var", "file=b.txt", "--var", "word=beta",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["task"]["prompt"] == "Read b.txt and reply with its one word."
    assert data["agents"][0]["checks"] == [
        {"name": "used read_file on b.txt", "passed": True, "detail": "read_file with {\"file_path\": \"b.txt\"} succeeded 1 time(s)"},
        {"name": "answer is exactly 'beta'", "passed": True, "detail": "answer matches exactly"},
    ]


def test_run_fix_bug_command_check_sees_the_agents_edit(openai_server, isolated_cwd: Path) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(calls=[Call("edit_file", {"file_path": "textstats/wordcount.py",
                                        "old_str": "ranked[: n - 1]", "new_str": "ranked[:n]"})]),
        Reply(text="Fixed the slice."),
    )
    openai_server.script("gpt-5-nano", Reply(text="Looks fine to me."))
    out = isolated_cwd / "out.json"
    assert main(["run", "fix-bug", "-m", "openai:gpt-5-mini", "-m", "openai:gpt-5-nano", "--json", str(out)]) == 0
    checks = checks_by_model(out)
    assert checks["openai:gpt-5-mini"] == {
        "the fixture's tests pass": True, "the tests were not changed": True,
        "fixed it with edit_file": True, "did not rewrite files with write_file": True,
    }
    assert checks["openai:gpt-5-nano"]["the fixture's tests pass"] is False


def test_run_unknown_task_is_one_line(openai_server, isolated_cwd: Path, capsys) -> None:
    assert main(["run", "no-such-task", "-m", "openai:gpt-5-mini"]) == 2
    assert capsys.readouterr().err == "nanotui: error: unknown task 'no-such-task'; see `nanotui tasks`\n"


def test_run_unknown_variable_is_one_line(openai_server, isolated_cwd: Path, capsys) -> None:
    assert main(["run", "basic-read", "-m", "openai:gpt-5-mini", "--var", "nope=1"]) == 2
    err = capsys.readouterr().err
    assert err == "nanotui: error: --var 'nope': task 'basic-read' has no variable 'nope'; expected one of its variables: file\n"


@pytest.mark.parametrize("task_id", ["json-answer", "readme-head-tail"])
def test_other_low_rungs_run_with_checks(openai_server, isolated_cwd: Path, task_id: str) -> None:
    openai_server.script("gpt-5-mini", Reply(text='{"leap_year_days": 366, "capital_of_japan": "Tokyo"}'))
    out = isolated_cwd / "out.json"
    assert main(["run", task_id, "-m", "openai:gpt-5-mini", "--json", str(out)]) == 0
    results = checks_by_model(out)["openai:gpt-5-mini"]
    if task_id == "json-answer":
        assert all(results.values()), results
    else:
        assert not any(results.values()), results


def test_plan_rubric_has_the_run_variables_filled(tmp_path, monkeypatch) -> None:
    from nanotui.engine.run.plan import plan_run

    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "greet.md").write_text(
        '+++\ntitle = "Greet"\nlevel = 1\nrubric = "S: says hello to {{name}}."\n'
        '[variables]\nname = "Ada"\n'
        '[[checks]]\ntype = "contains"\nvalue = "hello"\n+++\nSay hello to {{name}}.\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    plan = plan_run(models=["openai:gpt-5-mini"], task_id="greet", variables={"name": "Grace"})
    assert plan.rubric == "S: says hello to Grace."
    assert plan.task_ref.prompt == "Say hello to Grace."
