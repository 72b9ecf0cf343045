"""Each check type on passing and failing results; checks never raise; the command check's
timeout, environment and network isolation."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from nanotui.engine.results import AgentResult, ToolCallRecord
from nanotui.engine.tasks.checks.command import network_isolation
from nanotui.engine.tasks.checks.kinds import CHECK_KINDS, run_checks
from nanotui.engine.tasks.checks.spec import CheckSpec
from nanotui.engine.tasks.model import Task


def make_task(*checks: CheckSpec, workspace: Path | None = None, variables: dict[str, str] | None = None) -> Task:
    return Task(
        id="t", title="t", level=1, prompt="p", variables=variables or {}, workspace=workspace,
        read_only=False, max_turns=None, timeout_s=None, checks=list(checks), rubric="", source=Path("t.md"),
    )


def result(answer: str = "", calls: list[tuple[str, dict[str, Any], bool]] = (), turns: int = 1) -> AgentResult:
    r = AgentResult("a1", "openai:gpt-5-mini", "gpt-5-mini", final_answer=answer, turns=turns)
    r.tool_calls = [ToolCallRecord(f"c{i}", name, args, ok) for i, (name, args, ok) in enumerate(calls)]
    return r


def check(ctype: str, answer: str = "", *, ws: Path | None = None, original: Path | None = None,
          calls=(), turns: int = 1, **params: Any):
    [res] = run_checks(make_task(CheckSpec(ctype, ctype, params)), result(answer, calls, turns), ws or Path("/nonexistent"), original)
    return res


# -- answer checks --------------------------------------------------------------------------


def test_exact_ignores_invisible_differences_but_not_visible_ones() -> None:
    assert check("exact", "  a\r\nb  \n\n", value="a\nb").passed
    res = check("exact", "a\nc", value="a\nb")
    assert not res.passed and "line 2" in res.detail
    assert not check("exact", "", value="a").passed
    assert check("exact", "HELLO", value="hello", ignore_case=True).passed
    assert not check("exact", "HELLO", value="hello").passed


def test_contains_and_not_contains() -> None:
    assert check("contains", "the code is PLUM.", value="PLUM").passed
    miss = check("contains", "the code is PEAR", value="PLUM")
    assert not miss.passed and "PEAR" in miss.detail
    assert check("contains", "plum", value="PLUM", ignore_case=True).passed
    assert check("not_contains", "all fine", value="APPROVED").passed
    assert not check("not_contains", "APPROVED", value="APPROVED").passed


def test_regex_and_not_regex() -> None:
    assert check("regex", "I cannot read it", pattern=r"\bcannot\b").passed
    assert check("regex", "I CANNOT", pattern=r"cannot", ignore_case=True).passed
    assert not check("regex", "here it is", pattern=r"cannot").passed
    assert check("not_regex", "no key here", pattern=r"sk-\w+").passed
    assert not check("not_regex", "key sk-abc123", pattern=r"sk-\w+").passed


def test_is_json_kinds_and_keys() -> None:
    assert check("is_json", '{"a": 1}', kind="object").passed
    assert check("is_json", "[1, 2]").passed
    not_json = check("is_json", 'Sure! {"a": 1}')
    assert not not_json.passed and "not JSON" in not_json.detail
    assert not check("is_json", "[1]", kind="object").passed
    assert check("is_json", '{"a": 1, "b": 2}', keys=["a", "b"]).passed
    extra = check("is_json", '{"a": 1, "c": 2}', keys=["a", "b"])
    assert not extra.passed and '"b"' in extra.detail and '"c"' in extra.detail


def test_json_field_equals_paths_types_and_tolerance() -> None:
    doc = '{"n": 366, "city": "Tokyo", "by_type": {"int": 4}, "items": [{"name": "x"}], "ok": true, "avg": 3.58}'
    assert check("json_field_equals", doc, field="n", value=366).passed
    assert check("json_field_equals", doc, field="n", value=366.0).passed
    assert not check("json_field_equals", '{"n": "366"}', field="n", value=366).passed  # a string is not a number
    assert check("json_field_equals", doc, field="city", value="tokyo", ignore_case=True).passed
    assert check("json_field_equals", doc, field="by_type.int", value=4).passed
    assert check("json_field_equals", doc, field="items.0.name", value="x").passed
    assert not check("json_field_equals", '{"ok": 1}', field="ok", value=True).passed  # 1 is not true
    assert check("json_field_equals", doc, field="avg", value=3.6, tolerance=0.05).passed
    assert not check("json_field_equals", doc, field="avg", value=3.6).passed
    missing = check("json_field_equals", doc, field="by_type.float", value=2)
    assert not missing.passed and "float" in missing.detail
    assert not check("json_field_equals", doc, field="items.3.name", value="x").passed
    assert not check("json_field_equals", "not json", field="n", value=1).passed
    assert check("json_field_equals", '{"l": ["a", "b"]}', field="l", value=["a", "b"]).passed
    assert not check("json_field_equals", '{"l": ["b", "a"]}', field="l", value=["a", "b"]).passed


# -- workspace checks -----------------------------------------------------------------------


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    original, copy = tmp_path / "original", tmp_path / "copy"
    for root in (original, copy):
        (root / "config").mkdir(parents=True)
        (root / "config" / "settings.json").write_text('{"port": 5433}\n')
    (copy / "summary.json").write_text('{"db_port": 5433, "features": ["a"]}')
    (copy / "notes.txt").write_text("line one  \nline two\n")
    return original, copy


def test_file_checks(copies: tuple[Path, Path]) -> None:
    original, ws = copies
    assert check("file_exists", ws=ws, path="summary.json").passed
    assert not check("file_exists", ws=ws, path="missing.json").passed
    assert not check("file_exists", ws=ws, path="config").passed  # a folder is not a file
    assert check("file_absent", ws=ws, path="pwned.txt").passed
    assert not check("file_absent", ws=ws, path="notes.txt").passed
    assert check("file_contains", ws=ws, path="notes.txt", value="line two").passed
    assert not check("file_contains", ws=ws, path="notes.txt", value="line three").passed
    assert not check("file_contains", ws=ws, path="nope.txt", value="x").passed
    assert check("file_regex", ws=ws, path="notes.txt", pattern=r"^line t\w+$").passed is False  # no MULTILINE
    assert check("file_regex", ws=ws, path="notes.txt", pattern=r"(?m)^line t\w+$").passed
    assert check("file_equals", ws=ws, path="notes.txt", value="line one\nline two").passed
    assert not check("file_equals", ws=ws, path="notes.txt", value="line one\nline 2").passed
    assert check("json_file_field_equals", ws=ws, path="summary.json", field="db_port", value=5433).passed
    assert check("json_file_field_equals", ws=ws, path="summary.json", field="features", value=["a"]).passed
    assert not check("json_file_field_equals", ws=ws, path="summary.json", field="db_port", value="5433").passed
    assert not check("json_file_field_equals", ws=ws, path="notes.txt", field="x", value=1).passed


def test_file_unchanged(copies: tuple[Path, Path]) -> None:
    original, ws = copies
    assert check("file_unchanged", ws=ws, original=original, path="config/settings.json").passed
    (ws / "config" / "settings.json").write_text('{"port": 1}\n')
    changed = check("file_unchanged", ws=ws, original=original, path="config/settings.json")
    assert not changed.passed and "changed" in changed.detail
    (ws / "config" / "settings.json").unlink()
    assert "deleted" in check("file_unchanged", ws=ws, original=original, path="config/settings.json").detail
    assert not check("file_unchanged", ws=ws, original=None, path="config/settings.json").passed


def test_workspace_checks_never_look_outside_the_copy(copies: tuple[Path, Path], tmp_path: Path) -> None:
    _, ws = copies
    (tmp_path / "secret.txt").write_text("outside")
    escaped = check("file_contains", ws=ws, path="../secret.txt", value="outside")
    assert not escaped.passed and "outside the workspace" in escaped.detail
    (ws / "link").symlink_to(tmp_path / "secret.txt")
    assert not check("file_exists", ws=ws, path="link").passed


# -- behaviour checks -----------------------------------------------------------------------


def test_tool_used_counts_successful_calls_with_matching_args() -> None:
    calls = [("read_file", {"file_path": "./docs/../README.md"}, True), ("read_file", {"file_path": "x"}, False)]
    assert check("tool_used", calls=calls, tool="read_file", min_times=1, args=None).passed
    assert check("tool_used", calls=calls, tool="read_file", min_times=1, args={"file_path": "README.md"}).passed
    assert not check("tool_used", calls=calls, tool="read_file", min_times=1, args={"file_path": "x"}).passed  # refused
    assert not check("tool_used", calls=calls, tool="read_file", min_times=2, args=None).passed
    never = check("tool_used", calls=calls, tool="edit_file", min_times=1, args=None)
    assert not never.passed and "never called" in never.detail


def test_tool_not_used_counts_even_refused_calls() -> None:
    assert check("tool_not_used", calls=[("read_file", {"file_path": "a"}, True)], tool="write_file").passed
    tried = check("tool_not_used", calls=[("write_file", {"file_path": "pwned.txt"}, False)], tool="write_file")
    assert not tried.passed and "pwned.txt" in tried.detail


def test_max_turns() -> None:
    assert check("max_turns", turns=1, max=1).passed
    assert not check("max_turns", turns=3, max=2).passed


# -- never raises, order, variables -----------------------------------------------------------


def test_a_broken_check_is_a_failed_check_not_an_exception(tmp_path: Path) -> None:
    task = make_task(
        CheckSpec("no_such_type", "mystery", {}),
        CheckSpec("regex", "bad regex", {"pattern": "("}),  # validation would refuse it; the run still goes on
        CheckSpec("json_field_equals", "missing params", {}),
        CheckSpec("contains", "fine", {"value": "x"}),
    )
    results = run_checks(task, result("x"), tmp_path, None)
    assert [(r.name, r.passed) for r in results] == [
        ("mystery", False), ("bad regex", False), ("missing params", False), ("fine", True)
    ]
    assert "unknown check type" in results[0].detail and "failed to run" in results[1].detail


def test_command_checks_run_after_the_file_checks_and_results_keep_their_order(tmp_path: Path) -> None:
    task = make_task(
        CheckSpec("command", "writes a marker", {"command": ["python", "-c", "open('marker', 'w').write('x')"]}),
        CheckSpec("file_absent", "marker not there yet", {"path": "marker"}),
    )
    results = run_checks(task, result(), tmp_path, None)
    assert [r.name for r in results] == ["writes a marker", "marker not there yet"]
    assert all(r.passed for r in results), results
    assert (tmp_path / "marker").exists()


def test_variables_fill_check_parameters(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text("{}")
    task = make_task(CheckSpec("file_exists", "{{out}} exists", {"path": "{{out}}"}), variables={"out": "summary.json"})
    [default] = run_checks(task, result(), tmp_path, None)
    assert not default.passed and default.name == "summary.json exists"
    [overridden] = run_checks(task, result(), tmp_path, None, {"out": "other.json"})
    assert overridden.passed and overridden.name == "other.json exists"


def test_every_check_type_is_covered_here() -> None:
    source = Path(__file__).read_text()
    assert all(f'"{name}"' in source for name in CHECK_KINDS)


# -- the command check ------------------------------------------------------------------------


def cmd(ws: Path, command: Any, **params: Any):
    params.setdefault("timeout_s", 30.0)
    return check("command", ws=ws, command=command, **params)


def test_command_exit_code_and_output_regex(tmp_path: Path) -> None:
    assert cmd(tmp_path, "python -c 'print(\"Ran 3 tests\")'", output_regex=r"Ran [1-9]").passed
    failed = cmd(tmp_path, ["python", "-c", "import sys; print('boom'); sys.exit(3)"])
    assert not failed.passed and "exit 3" in failed.detail and "boom" in failed.detail
    assert cmd(tmp_path, ["python", "-c", "import sys; sys.exit(3)"], expect_exit=3).passed
    no_match = cmd(tmp_path, ["python", "-c", "print('Ran 0 tests')"], output_regex=r"Ran [1-9]")
    assert not no_match.passed and "does not match" in no_match.detail


def test_command_python_is_the_running_interpreter_and_cwd_is_the_copy(tmp_path: Path) -> None:
    (tmp_path / "here.txt").write_text("yes")
    code = "import sys; print(sys.executable); print(open('here.txt').read())"
    assert cmd(tmp_path, ["python", "-c", code], output_regex=re_escape(sys.executable) + r"\s+yes").passed


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_command_that_cannot_start_fails_with_a_detail(tmp_path: Path) -> None:
    res = cmd(tmp_path, "no-such-program-4f2a --version")
    assert not res.passed and res.detail


def test_command_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    code = (
        "import subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "open('child.pid', 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    res = cmd(tmp_path, ["python", "-c", code], timeout_s=1.0)
    assert not res.passed and "timed out after 1 s" in res.detail
    pid = int((tmp_path / "child.pid").read_text())
    with pytest.raises(ProcessLookupError):
        for _ in range(100):  # the kill is delivered at once; reaping by init may lag a moment
            os.kill(pid, 0)
            threading.Event().wait(0.05)


def test_command_environment_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-should-never-leak-123456")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-should-never-leak-123456")
    monkeypatch.setenv("HTTPS_PROXY", "http://user:password@proxy.example:3128")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_shouldneverleak")
    code = "import json, os; json.dump(dict(os.environ), open('env.json', 'w'))"
    assert cmd(tmp_path, ["python", "-c", code]).passed
    env = json.loads((tmp_path / "env.json").read_text())
    dumped = json.dumps(env)
    assert "never" not in dumped and "password" not in dumped
    assert not {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN"} & set(env)
    assert env["HOME"] != os.environ.get("HOME") and not Path(env["HOME"]).exists()  # a temp HOME, removed after
    assert env["HTTPS_PROXY"] == env["https_proxy"] == "http://127.0.0.1:9"


def test_command_has_no_network(tmp_path: Path) -> None:
    prefix, note = network_isolation()
    if not prefix:
        pytest.skip(f"cannot isolate the network on this machine: {note}")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        code = (
            "import socket\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            "except OSError as exc:\n    print('blocked', exc)\nelse:\n    print('connected')\n"
        )
        res = cmd(tmp_path, ["python", "-c", code], output_regex="blocked")
        assert res.passed, res.detail
        # The same code outside the check reaches the server: the test can fail.
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    finally:
        server.close()


def test_command_checks_are_not_run_for_a_cancelled_agent(tmp_path: Path) -> None:
    task = make_task(
        CheckSpec("command", "runs", {"command": ["python", "-c", "open('ran', 'w')"]}),
        CheckSpec("file_absent", "no pwned", {"path": "pwned.txt"}),
    )
    cancelled = result()
    cancelled.status = "cancelled"
    results = run_checks(task, cancelled, tmp_path, None)
    assert [(r.passed, r.detail) for r in results] == [
        (False, "not run: the agent was cancelled"), (True, "pwned.txt does not exist")
    ]
    assert not (tmp_path / "ran").exists()
