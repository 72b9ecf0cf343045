"""`nanotui tasks`, `tasks show`, `tasks validate`, and user task folders merging with the
built-ins (config folder, then ./tasks; a later one overrides an earlier one by id)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.paths import config_dir
from nanotui.engine.tasks.library import load_library

USER_TASK = """\
+++
id = "{id}"
title = "{title}"
level = 2
workspace = "fixture"
reference = "ref.toml"

[[checks]]
type = "contains"
value = "PLUM"
+++
Read notes.txt and give the secret word.
"""


def user_task(folder: Path, task_id: str, title: str, answer: str = "PLUM") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fixture").mkdir(exist_ok=True)
    (folder / "fixture" / "notes.txt").write_text("The secret word is PLUM.\n")
    (folder / "ref.toml").write_text(f'answer = "{answer}"\n')
    path = folder / f"{task_id}.md"
    path.write_text(USER_TASK.format(id=task_id, title=title))
    return path


def rows(out: str) -> dict[str, list[str]]:
    """The table rows of `nanotui tasks`, by id (columns split on runs of 2+ spaces)."""
    lines = out.splitlines()
    body = lines[2 : lines.index("")] if "" in lines else lines[2:]
    return {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in body)}


def test_tasks_lists_the_ladder(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["id", "level", "title", "tools", "checks", "from"]
    table = rows(out)
    assert len(table) >= 10
    assert table["basic-read"] == ["basic-read", "2", "Read a fact from a file", "read_file", "3", "builtin"]
    assert table["fix-bug"][4] == "4*" and table["small-project"][4] == "6*"  # command checks are marked
    assert table["json-answer"][3] == "-"
    assert "* runs a command check" in out
    levels = [int(r[1]) for r in table.values()]
    assert levels == sorted(levels)


def test_user_folders_merge_and_override_by_id(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user_task(config_dir() / "tasks", "basic-read", "My own basic read")
    user_task(config_dir() / "tasks", "config-only", "Only in the config folder")
    user_task(isolated_cwd / "tasks", "config-only", "The working folder wins")
    user_task(isolated_cwd / "tasks", "cwd-only", "Only in ./tasks")
    assert main(["tasks"]) == 0
    table = rows(capsys.readouterr().out)
    assert table["basic-read"][2:] == ["My own basic read", "-", "1", "config"]
    assert table["config-only"][2] == "The working folder wins" and table["config-only"][-1] == "cwd"
    assert table["cwd-only"][-1] == "cwd" and "json-answer" in table
    library = load_library()
    assert library.get("basic-read").source == (config_dir() / "tasks" / "basic-read.md").resolve()
    assert [p.name for p in library.overridden["basic-read"]] == ["task.md"]


def test_a_broken_user_task_is_left_out_with_a_warning(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (isolated_cwd / "tasks").mkdir()
    (isolated_cwd / "tasks" / "broken.md").write_text("+++\nid = 'broken'\n")
    assert main(["tasks"]) == 0
    out, err = capsys.readouterr()
    assert "broken" not in rows(out) and "basic-read" in rows(out)
    assert err.strip() == ("nanotui: left out 1 task file(s) with problems: tasks/broken.md "
                           "(run `nanotui tasks validate` for details)")
    assert main(["tasks", "validate"]) == 1
    out, _ = capsys.readouterr()
    assert out.strip() == "tasks/broken.md: front matter: no closing '+++' line after the opening one"


def test_show_renders_prompt_checks_and_fixture_files(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "show", "basic-read"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("basic-read  (level 2)  Read a fact from a file")
    assert "read the file `project.txt` in your workspace" in out and "{{" not in out
    assert "  - [behaviour] read the file with read_file  (tool_used)" in out
    assert "  - [answer] replies with the codename alone  (exact)" in out
    assert "fixture files (1):" in out and "project.txt" in out
    assert "[read-only]" in out and "rubric:" in out
    assert main(["tasks", "show", "basic-read", "--var", "file=notes.txt"]) == 0
    assert "read the file `notes.txt`" in capsys.readouterr().out


def test_show_marks_command_checks(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "show", "fix-bug"]) == 0
    out = capsys.readouterr().out
    assert "  - [command] the fixture's tests pass  (command) *" in out
    assert "tests/test_wordcount.py" in out and "textstats/wordcount.py" in out


def test_show_errors_are_one_line(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "show", "nope"]) == 2
    assert capsys.readouterr().err == "nanotui: error: unknown task 'nope'; see `nanotui tasks`\n"
    assert main(["tasks", "show", "basic-read", "--var", "colour=red"]) == 2
    err = capsys.readouterr().err
    assert err == "nanotui: error: --var 'colour': task 'basic-read' has no variable 'colour'; expected one of its variables: file\n"


def test_validate_the_whole_library(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "validate"]) == 0
    assert capsys.readouterr().out.startswith("ok: no problems in ")


def test_validate_reference_replays_solutions(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = user_task(isolated_cwd / "tasks", "good", "Good")
    assert main(["tasks", "validate", "--reference", str(good)]) == 0
    assert "1 reference solution passes every check" in capsys.readouterr().out
    bad = user_task(isolated_cwd / "other", "bad", "Bad", answer="PEAR")
    assert main(["tasks", "validate", "--reference", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("other/ref.toml: reference: fails check 'answer contains 'PLUM'': \"PLUM\" not found")


def test_validate_reference_on_the_built_in_ladder(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "validate", "--reference"]) == 0
    assert re.search(r"; (1[0-9]|[2-9][0-9]) reference solutions pass every check", capsys.readouterr().out)
