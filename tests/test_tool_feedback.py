"""The tool results a model sees when a call cannot be honoured, exactly as it sees them.

Every model gets these same texts (they are part of the playing field), so they are pinned
here word for word and documented in docs/tools.md.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.tools import ToolBox, ToolOutcome


@pytest.fixture
def box(workspace: Path):
    sandbox = Sandbox.create(workspace)
    yield ToolBox(sandbox), sandbox.root
    sandbox.cleanup()


def edit(tools: ToolBox, path: str, old: str, new: str = "X") -> ToolOutcome:
    return tools.call("edit_file", {"file_path": path, "old_str": old, "new_str": new})


def test_edit_on_a_directory_says_it_is_a_directory(box) -> None:
    tools, _ = box
    assert edit(tools, "data", "1") == ToolOutcome(False, "Error: data is a directory; edit_file edits a file")


def test_edit_of_a_missing_file(box) -> None:
    tools, _ = box
    assert edit(tools, "nope.txt", "1") == ToolOutcome(False, "Error: file not found: nope.txt")


def test_several_matches_say_how_many_where_and_what_to_do(box) -> None:
    tools, root = box
    (root / "m.py").write_text("x = 1\ny = 2\nx = 1\n")
    assert edit(tools, "m.py", "x = 1") == ToolOutcome(
        False,
        "Error: old_str must match exactly once in m.py, found 2 matches (lines 1, 3). "
        "Include more surrounding lines in old_str to make it unique.",
    )


def test_many_matches_list_the_first_lines(box) -> None:
    tools, root = box
    (root / "m.txt").write_text("a\n" * 8)
    out = edit(tools, "m.txt", "a")
    assert out.content == (
        "Error: old_str must match exactly once in m.txt, found 8 matches (lines 1, 2, 3, 4, 5, …). "
        "Include more surrounding lines in old_str to make it unique."
    )


def test_tab_against_spaces_points_at_the_indentation(box) -> None:
    tools, root = box
    (root / "f.py").write_text("def f():\n    pass\n")
    assert edit(tools, "f.py", "\tpass") == ToolOutcome(
        False,
        "Error: old_str must match exactly once in f.py, found 0 matches. Line 2 differs from old_str only "
        "in whitespace or indentation: the file has '    pass'. Copy its exact tabs and spaces into old_str.",
    )


def test_multi_line_whitespace_difference(box) -> None:
    tools, root = box
    (root / "g.py").write_text("import os\n\ndef g():\n    a = 1\n    return a\n")
    out = edit(tools, "g.py", "def g():\n  a = 1\n  return a")
    assert "Line 3 differs from old_str only in whitespace or indentation: the file has 'def g():'" in out.content


def test_crlf_file_against_lf_old_str(box) -> None:
    tools, root = box
    (root / "w.txt").write_bytes(b"a\r\nb\r\n")
    assert edit(tools, "w.txt", "a\nb") == ToolOutcome(
        False,
        "Error: old_str must match exactly once in w.txt, found 0 matches. "
        "The file has CRLF (\\r\\n) line endings; old_str has \\n. Use \\r\\n in old_str.",
    )


def test_lf_file_against_crlf_old_str(box) -> None:
    tools, root = box
    (root / "u.txt").write_bytes(b"a\nb\n")
    assert edit(tools, "u.txt", "a\r\nb").content == (
        "Error: old_str must match exactly once in u.txt, found 0 matches. "
        "The file has \\n line endings; old_str has \\r\\n. Use \\n in old_str."
    )


def test_a_near_miss_shows_the_closest_lines(box) -> None:
    tools, root = box
    (root / "c.py").write_text("def load_settings(path):\n    return {}\n\ndef save_settings(path, data):\n    pass\n")
    assert edit(tools, "c.py", "def load_setings(path):") == ToolOutcome(
        False,
        "Error: old_str must match exactly once in c.py, found 0 matches. Closest lines: "
        "1: 'def load_settings(path):'; 4: 'def save_settings(path, data):'. "
        "Read the file and copy old_str from it exactly.",
    )


def test_nothing_close_says_to_read_the_file(box) -> None:
    tools, _ = box
    assert edit(tools, "data/numbers.txt", "zebra crossing") == ToolOutcome(
        False,
        "Error: old_str must match exactly once in data/numbers.txt, found 0 matches. "
        "Read the file to see its current content.",
    )


def test_feedback_stays_short_on_huge_lines(box) -> None:
    tools, root = box
    (root / "long.txt").write_text(("q" * 5000 + "\n") * 50)
    out = edit(tools, "long.txt", "q" * 4000 + "r")
    assert not out.ok and len(out.content) < 400
    spaced = edit(tools, "long.txt", "  " + "q" * 5000)
    assert not spaced.ok and len(spaced.content) < 400


def test_not_a_directory_keeps_the_relative_path(box) -> None:
    tools, _ = box
    assert tools.call("read_file", {"file_path": "README.md/x"}) == ToolOutcome(
        False, "Error: README.md is not a directory"
    )
    assert tools.call("write_file", {"file_path": "data/numbers.txt/y", "content": ""}) == ToolOutcome(
        False, "Error: data/numbers.txt is not a directory"
    )


def test_a_name_too_long_keeps_the_relative_path(box) -> None:
    tools, _ = box
    name = "n" * 300
    out = tools.call("write_file", {"file_path": f"data/{name}", "content": "x"})
    assert out == ToolOutcome(False, f"Error: File name too long: data/{name[:195]}…")


def _chattr(flag: str, path: Path) -> bool:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


def test_a_permission_error_says_which_path(box) -> None:
    tools, root = box
    target = root / "data" / "numbers.txt"
    if os.geteuid() == 0:
        # root ignores mode bits; an immutable file refuses even root (ext4, chattr).
        if not _chattr("+i", target):
            pytest.skip("chattr +i is not available here")
        expected = "Error: Operation not permitted: data/numbers.txt"
    else:
        target.chmod(0o444)
        expected = "Error: Permission denied: data/numbers.txt"
    try:
        assert tools.call("write_file", {"file_path": "data/numbers.txt", "content": "x"}) == ToolOutcome(
            False, expected
        )
        assert edit(tools, "data/numbers.txt", "2") == ToolOutcome(False, expected)
    finally:
        if os.geteuid() == 0:
            _chattr("-i", target)


def test_list_directory_on_a_file_and_write_onto_a_directory(box) -> None:
    tools, _ = box
    assert tools.call("list_directory", {"directory_path": "README.md"}) == ToolOutcome(
        False, "Error: README.md is not a directory"
    )
    assert tools.call("write_file", {"file_path": "data", "content": "x"}) == ToolOutcome(
        False, "Error: data is a directory"
    )


def test_counting_is_bounded_and_honest_about_it(box) -> None:
    tools, root = box
    (root / "a.txt").write_text("a" * 3000)
    assert edit(tools, "a.txt", "aa").content.startswith(
        "Error: old_str must match exactly once in a.txt, found more than 1000 matches (line 1)."
    )
    # Matches of a string that cannot overlap itself are counted exactly, however many.
    (root / "b.txt").write_text("ab\n" * 3000)
    assert "found 3000 matches (lines 1, 2, 3, 4, 5, …)" in edit(tools, "b.txt", "ab").content
