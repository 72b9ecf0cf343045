"""The task file format: what parses, and broken files giving one line per problem that
names the file and the field (validate_paths and `nanotui tasks validate`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.errors import ConfigError
from nanotui.engine.tasks.format import parse_task_file
from nanotui.engine.tasks.library import validate_paths

GOOD_FRONT = """\
id = "demo"
title = "Demo"
level = 2
workspace = "fixture"
read_only = true
rubric = "S: says PLUM. F: anything else."

[variables]
file = "README.md"

[limits]
max_turns = 4
timeout_s = 60

[[checks]]
type = "contains"
value = "PLUM"

[[checks]]
type = "tool_used"
tool = "read_file"
args = { file_path = "{{file}}" }
"""


def write_task(folder: Path, front: str = GOOD_FRONT, body: str = "Read {{file}}: what is the secret word?",
               name: str = "demo.md", fixture: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if fixture:
        (folder / "fixture").mkdir(exist_ok=True)
        (folder / "fixture" / "README.md").write_text("The secret word is PLUM.\n")
    path = folder / name
    path.write_text(f"+++\n{front}+++\n{body}\n" if name.endswith(".md") else front)
    return path


def problems_for(path: Path) -> list[str]:
    task, problems = parse_task_file(path)
    assert task is None and problems
    return problems


@pytest.fixture(autouse=True)
def _cwd(isolated_cwd: Path) -> None:
    """Problems name files relative to the working directory."""


def test_a_good_markdown_task(isolated_cwd: Path) -> None:
    path = write_task(isolated_cwd / "tasks")
    task, problems = parse_task_file(path)
    assert problems == [] and task is not None
    assert (task.id, task.title, task.level, task.read_only) == ("demo", "Demo", 2, True)
    assert (task.max_turns, task.timeout_s) == (4, 60.0)
    assert task.workspace == (isolated_cwd / "tasks" / "fixture").resolve()
    assert task.render() == "Read README.md: what is the secret word?"
    assert task.render({"file": "notes.txt"}) == "Read notes.txt: what is the secret word?"
    assert [c.name for c in task.checks] == ["answer contains 'PLUM'", "used read_file on {{file}}"]
    assert task.rendered_checks({"file": "x.md"})[1].params["args"] == {"file_path": "x.md"}
    assert task.tools_needed == ["read_file"]
    assert not task.has_command_check


def test_a_plain_toml_task_and_defaults(isolated_cwd: Path) -> None:
    path = isolated_cwd / "tasks" / "mini.toml"
    path.parent.mkdir()
    path.write_text('prompt = """\nSay hi.\n"""\n')
    task, problems = parse_task_file(path)
    assert problems == [] and task is not None
    assert (task.id, task.title, task.level, task.workspace, task.checks) == ("mini", "mini", 1, None, [])
    assert task.render() == "Say hi.\n"


def test_folder_task_takes_its_id_from_the_folder(isolated_cwd: Path) -> None:
    front = GOOD_FRONT.replace('id = "demo"\n', "")
    path = write_task(isolated_cwd / "tasks" / "my-task", front=front, name="task.md")
    task, problems = parse_task_file(path)
    assert problems == [] and task is not None and task.id == "my-task"


def test_render_errors_name_the_variable(isolated_cwd: Path) -> None:
    task, _ = parse_task_file(write_task(isolated_cwd / "tasks"))
    assert task is not None
    with pytest.raises(ConfigError, match=r"^var 'colour': task 'demo' has no variable 'colour'; expected one of its variables: file"):
        task.render({"colour": "red"})
    task.prompt = "Use {{missing}}"
    with pytest.raises(ConfigError, match=r"prompt: uses \{\{missing\}\}"):
        task.render()


# -- broken files: one line each, naming the file and the field --------------------------------

BROKEN = {
    "no prompt": (GOOD_FRONT, "", "demo.md: prompt: missing"),
    "bad regex": (GOOD_FRONT + '\n[[checks]]\ntype = "regex"\npattern = "(unclosed"\n', None,
                  "demo.md: checks[3].pattern: bad regex: missing ), unterminated subpattern"),
    "missing fixture": (GOOD_FRONT.replace('workspace = "fixture"', 'workspace = "nowhere"'), None,
                        "demo.md: workspace: folder 'nowhere' not found"),
    "unknown check type": (GOOD_FRONT + '\n[[checks]]\ntype = "smells_right"\n', None,
                           "demo.md: checks[3].type: unknown check type 'smells_right' (expected one of exact, contains"),
    "bad front matter TOML": ('id = "demo"\ntitle = Demo\n', None, "demo.md: front matter: invalid TOML: "),
    "undefined variable": (GOOD_FRONT, "Read {{nope}}", "demo.md: prompt: uses {{nope}} but [variables] does not define it"),
    "unknown key": ("tittle = 'x'\n" + GOOD_FRONT, None, "demo.md: tittle: unknown key (expected one of id, title"),
    "missing check parameter": (GOOD_FRONT + '\n[[checks]]\ntype = "file_contains"\npath = "a.txt"\n', None,
                                "demo.md: checks[3].value: missing (check type 'file_contains' needs it)"),
    "unknown check parameter": (GOOD_FRONT + '\n[[checks]]\ntype = "contains"\nvalue = "x"\nvalu = "y"\n', None,
                                "demo.md: checks[3].valu: unknown parameter for type 'contains' (expected: value, ignore_case)"),
    "wrong parameter type": (GOOD_FRONT + '\n[[checks]]\ntype = "max_turns"\nmax = "3"\n', None,
                             "demo.md: checks[3].max: expected integer, got string"),
    "unknown tool": (GOOD_FRONT + '\n[[checks]]\ntype = "tool_used"\ntool = "run_shell"\n', None,
                     "demo.md: checks[3].tool: unknown tool 'run_shell'"),
    "path escaping the workspace": (GOOD_FRONT + '\n[[checks]]\ntype = "file_exists"\npath = "../x"\n', None,
                                    "demo.md: checks[3].path: '../x' must be a path relative to the workspace root"),
    "unchanged file not in the fixture": (GOOD_FRONT + '\n[[checks]]\ntype = "file_unchanged"\npath = "nope.txt"\n',
                                          None, "demo.md: checks[3].path: 'nope.txt' is not a file in the workspace fixture"),
    "undefined variable in a check": (GOOD_FRONT + '\n[[checks]]\ntype = "file_exists"\npath = "{{out}}"\n', None,
                                      "demo.md: checks[3]: uses {{out}} but [variables] does not define it"),
    "bad limits": (GOOD_FRONT.replace("max_turns = 4", "max_turns = 0"), None,
                   "demo.md: limits.max_turns: expected a whole number of at least 1, got 0"),
    "bad level": (GOOD_FRONT.replace("level = 2", 'level = "two"'), None, "demo.md: level: expected integer, got string"),
    "bad command": (GOOD_FRONT + "\n[[checks]]\ntype = \"command\"\ncommand = \"python -c 'unclosed\"\n", None,
                    "demo.md: checks[3].command: cannot split into arguments: No closing quotation"),
    "key below a table": (GOOD_FRONT + 'reference = "ref.toml"\n', None,
                          "demo.md: checks[2].reference: unknown parameter for type 'tool_used'"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_gives_one_line_naming_file_and_field(isolated_cwd: Path, case: str) -> None:
    front, body, expected = BROKEN[case]
    path = write_task(isolated_cwd / "tasks", front=front, **({} if body is None else {"body": body}))
    problems = problems_for(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith("tasks/" + expected), problems[0]
    assert "\n" not in problems[0]


def test_missing_opening_and_closing_front_matter(isolated_cwd: Path) -> None:
    folder = isolated_cwd / "tasks"
    folder.mkdir()
    (folder / "a.md").write_text("id = 'a'\n+++\nprompt\n")
    (folder / "b.md").write_text("+++\nid = 'b'\nno end\n")
    assert problems_for(folder / "a.md") == [
        "tasks/a.md: front matter: expected the file to start with a '+++' line, then TOML, then a closing '+++' line"
    ]
    assert problems_for(folder / "b.md") == ["tasks/b.md: front matter: no closing '+++' line after the opening one"]


def test_toml_errors_point_at_the_line_in_the_file(isolated_cwd: Path) -> None:
    path = write_task(isolated_cwd / "tasks", front='id = "demo"\ntitle = Demo\n')
    [line] = problems_for(path)
    assert "line 3" in line  # line 1 is the opening +++, title is on line 3 of the file


def test_a_file_with_several_problems_gives_one_line_each(isolated_cwd: Path) -> None:
    front = 'level = -1\nbogus = 1\n\n[[checks]]\ntype = "regex"\npattern = "["\n\n[[checks]]\ntype = "nope"\n'
    problems = problems_for(write_task(isolated_cwd / "tasks", front=front, body=""))
    fields = [line.split(": ")[1] for line in problems]
    assert fields == ["bogus", "level", "prompt", "checks[1].pattern", "checks[2].type"], problems


def test_validate_paths_over_a_folder_finds_duplicates_and_empty_folders(isolated_cwd: Path) -> None:
    folder = isolated_cwd / "tasks"
    write_task(folder, name="one.md")
    write_task(folder, name="two.md")  # same id "demo"
    (folder / "README.md").write_text("# My tasks\nNot a task file.\n")  # ignored
    problems = validate_paths([folder])
    assert problems == ["tasks/two.md: id: 'demo' is already used by tasks/one.md"]
    (isolated_cwd / "empty").mkdir()
    assert validate_paths([isolated_cwd / "empty"])[0].startswith("empty: no task files found")
    assert validate_paths([isolated_cwd / "nope"]) == ["nope: no such file or folder"]


def test_cli_validate_broken_files_exit_1_one_line_each_no_traceback(
    isolated_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = isolated_cwd / "broken"
    write_task(folder, name="no-prompt.md", body="")
    write_task(folder, name="bad-regex.md",
               front=GOOD_FRONT.replace('id = "demo"', 'id = "r"') + '\n[[checks]]\ntype = "regex"\npattern = "(x"\n')
    write_task(folder, name="no-fixture.md",
               front=GOOD_FRONT.replace('id = "demo"', 'id = "f"').replace('"fixture"', '"gone"'))
    write_task(folder, name="bad-type.md",
               front=GOOD_FRONT.replace('id = "demo"', 'id = "t"') + '\n[[checks]]\ntype = "vibes"\n')
    (folder / "bad-front.md").write_text("+++\nid = \n+++\nprompt\n")
    code = main(["tasks", "validate", "broken"])
    out, err = capsys.readouterr()
    assert code == 1
    lines = out.strip().splitlines()
    assert sorted(line.split(": ")[0] + ": " + line.split(": ")[1] for line in lines) == [
        "broken/bad-front.md: front matter",
        "broken/bad-regex.md: checks[3].pattern",
        "broken/bad-type.md: checks[3].type",
        "broken/no-fixture.md: workspace",
        "broken/no-prompt.md: prompt",
    ]
    assert "Traceback" not in out + err and "5 problem(s)" in err


def test_cli_validate_a_good_file_exits_0(isolated_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_task(isolated_cwd / "tasks")
    assert main(["tasks", "validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith("ok: no problems in tasks/demo.md")


TASKS_DOC = Path(__file__).resolve().parents[1] / "docs" / "tasks.md"


def test_the_manual_example_task_is_valid(isolated_cwd: Path) -> None:
    import re

    text = TASKS_DOC.read_text()
    example = re.search(r"## The format.*?```markdown\n(.*?)```", text, re.S)[1]
    folder = isolated_cwd / "tasks" / "example"
    (folder / "workspace").mkdir(parents=True)
    (folder / "workspace" / "project.txt").write_text("Release codename: AMBER-FALCON-7\n")
    (folder / "reference.toml").write_text(re.search(r"```toml\nanswer = .*?```", text, re.S)[0][8:-3])
    (folder / "task.md").write_text(example)
    task, problems = parse_task_file(folder / "task.md")
    assert problems == [] and task is not None
    assert task.render({"file": "x.txt"}).startswith("Use the read_file tool to read `x.txt`")
    from nanotui.engine.tasks.reference import load_reference, replay

    _, checks = replay(task, load_reference(task))
    assert all(c.passed for c in checks), checks


def test_the_manual_documents_every_check_type() -> None:
    from nanotui.engine.tasks.checks.kinds import CHECK_KINDS

    text = TASKS_DOC.read_text()
    assert [t for t in CHECK_KINDS if f"`{t}`" not in text] == []
