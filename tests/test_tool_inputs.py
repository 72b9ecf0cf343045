"""Hostile tool arguments: any string a model sends is a result, never an exception; one
size cap for every write and read; overlapping matches counted as such."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.tool_defs import READ_CAP_BYTES, WRITE_CAP_BYTES
from nanotui.engine.agent.tools import ToolBox


@pytest.fixture
def box(workspace: Path):
    sandbox = Sandbox.create(workspace)
    yield ToolBox(sandbox), sandbox
    sandbox.cleanup()


SURROGATE_PATHS = ["x\ud800.txt", "\udcff", "data/\ud83d.txt", "README.md\udc80"]


@pytest.mark.parametrize("path", SURROGATE_PATHS)
@pytest.mark.parametrize(
    ("tool", "extra"),
    [
        ("read_file", {}),
        ("get_file_info", {}),
        ("write_file", {"content": "x"}),
        ("edit_file", {"old_str": "a", "new_str": "b"}),
    ],
)
def test_lone_surrogate_in_a_path_is_a_tool_error(box, tool: str, extra: dict, path: str) -> None:
    tools, sandbox = box
    # The arguments as a provider's JSON parser hands them over: "\ud800" is valid JSON.
    arguments = json.loads(json.dumps({"file_path": path, **extra}))
    out = tools.call(tool, arguments)
    assert not out.ok
    assert "lone UTF-16 surrogate" in out.content
    out.content.encode("utf-8")  # the result itself is storable text
    assert sandbox.files_changed() == []


def test_lone_surrogate_in_list_directory_path(box) -> None:
    tools, _ = box
    out = tools.call("list_directory", {"directory_path": "data\ud800"})
    assert not out.ok and "lone UTF-16 surrogate" in out.content
    out.content.encode("utf-8")


def test_lone_surrogate_in_written_content_is_replaced(box) -> None:
    tools, sandbox = box
    out = tools.call("write_file", {"file_path": "s.txt", "content": "a\ud800b\udfffc"})
    assert out.ok, out.content
    assert (sandbox.root / "s.txt").read_bytes() == "a\ufffdb\ufffdc".encode()
    assert "written as U+FFFD" in out.content
    out.content.encode("utf-8")


def test_surrogate_pair_halves_become_one_character(box) -> None:
    tools, sandbox = box
    assert tools.call("write_file", {"file_path": "e.txt", "content": "\ud83d\ude00"}).ok
    assert (sandbox.root / "e.txt").read_text() == "\U0001f600"


def test_lone_surrogates_in_edit_strings_are_replaced_consistently(box) -> None:
    tools, sandbox = box
    assert tools.call("write_file", {"file_path": "e.txt", "content": "key=\ud800;"}).ok
    # The same lone surrogate in old_str is replaced the same way, so it matches what was written.
    out = tools.call("edit_file", {"file_path": "e.txt", "old_str": "=\ud800;", "new_str": "=\udc00!"})
    assert out.ok, out.content
    assert (sandbox.root / "e.txt").read_text() == "key=\ufffd!"
    out.content.encode("utf-8")


def test_unknown_tool_and_argument_names_with_surrogates(box) -> None:
    tools, _ = box
    for out in (
        tools.call("read\ud800", {}),
        tools.call("read_file", {"file_path": "README.md", "mo\ud800de": "r"}),
    ):
        assert not out.ok
        out.content.encode("utf-8")


def test_an_unexpected_exception_inside_a_tool_is_a_result(box, monkeypatch: pytest.MonkeyPatch) -> None:
    tools, _ = box

    def broken(**_: str):
        raise RecursionError("deep")

    monkeypatch.setattr(tools, "_read_file", broken)
    out = tools.call("read_file", {"file_path": "README.md"})
    assert not out.ok and out.content == "Error: read_file failed unexpectedly (RecursionError)"


def test_arguments_that_are_not_an_object(box) -> None:
    tools, _ = box
    for arguments in (None, [], "x", 3):
        out = tools.call("read_file", arguments)  # type: ignore[arg-type]
        assert not out.ok and "not a valid JSON object" in out.content


# -- caps -----------------------------------------------------------------------------------


def test_edit_cannot_grow_a_file_past_the_write_cap(box) -> None:
    tools, sandbox = box
    big = "y" * (WRITE_CAP_BYTES + 1)
    out = tools.call("edit_file", {"file_path": "README.md", "old_str": "PLUM", "new_str": big})
    assert not out.ok
    assert f"files are at most {WRITE_CAP_BYTES}" in out.content
    assert (sandbox.root / "README.md").stat().st_size == 32


def test_edit_refuses_a_file_over_the_read_cap_without_reading_it(box) -> None:
    tools, sandbox = box
    huge = sandbox.root / "huge.log"
    with huge.open("wb") as fh:  # 2 GiB, sparse: reading it would take seconds and GBs
        fh.truncate(2 * 1024**3)
    out = tools.call("edit_file", {"file_path": "huge.log", "old_str": "a", "new_str": "b"})
    assert out == out.__class__(
        False,
        f"Error: huge.log is {2 * 1024**3} bytes; edit_file edits files of at most {READ_CAP_BYTES} bytes "
        "(use write_file to replace it)",
    )


def test_edit_at_exactly_the_caps_works(box) -> None:
    tools, sandbox = box
    (sandbox.root / "cap.txt").write_bytes(b"A" + b"x" * (READ_CAP_BYTES - 1))
    out = tools.call("edit_file", {"file_path": "cap.txt", "old_str": "A", "new_str": "B"})
    assert out.ok, out.content
    assert (sandbox.root / "cap.txt").stat().st_size == READ_CAP_BYTES


def test_write_cap_is_the_same_for_write_file(box) -> None:
    tools, _ = box
    out = tools.call("write_file", {"file_path": "w.txt", "content": "z" * (WRITE_CAP_BYTES + 1)})
    assert not out.ok and f"at most {WRITE_CAP_BYTES}" in out.content


# -- matches --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "old", "count"), [("aaa", "aa", 2), ("abababa", "aba", 3), ("xx\nxx", "x", 4)])
def test_overlapping_matches_are_counted(box, text: str, old: str, count: int) -> None:
    tools, sandbox = box
    (sandbox.root / "o.txt").write_text(text)
    out = tools.call("edit_file", {"file_path": "o.txt", "old_str": old, "new_str": "X"})
    assert not out.ok and f"found {count} matches" in out.content
    assert (sandbox.root / "o.txt").read_text() == text


def test_a_single_match_is_replaced_and_written_in_place(box) -> None:
    tools, sandbox = box
    (sandbox.root / "o.txt").write_text("aab")
    out = tools.call("edit_file", {"file_path": "o.txt", "old_str": "ab", "new_str": "X"})
    assert out.ok and (sandbox.root / "o.txt").read_text() == "aX"
    # A shorter result leaves no tail of the old content behind.
    assert tools.call("edit_file", {"file_path": "o.txt", "old_str": "aX", "new_str": ""}).ok
    assert (sandbox.root / "o.txt").read_bytes() == b""


def test_write_through_an_inside_link_lands_inside(box) -> None:
    tools, sandbox = box
    os.symlink("data/numbers.txt", sandbox.root / "alias")
    os.symlink("data/new.txt", sandbox.root / "dangling")
    assert tools.call("write_file", {"file_path": "alias", "content": "9\n"}).ok
    assert (sandbox.root / "data/numbers.txt").read_text() == "9\n"
    out = tools.call("write_file", {"file_path": "dangling", "content": "n"})
    assert out.ok and out.content == "created data/new.txt (1 bytes)"
    assert os.path.islink(sandbox.root / "alias")


def test_file_names_that_are_not_utf8_come_back_as_valid_text(box) -> None:
    tools, sandbox = box
    (sandbox.root / os.fsdecode(b"caf\xe9.txt")).write_text("x")
    os.symlink(os.fsdecode(b"caf\xe9.txt"), sandbox.root / "alias")
    for out in (
        tools.call("list_directory", {}),
        tools.call("get_file_info", {"file_path": "alias"}),
        tools.call("write_file", {"file_path": "alias", "content": "y"}),
    ):
        assert out.ok, out.content
        out.content.encode("utf-8")
    assert "caf\ufffd.txt" in tools.call("list_directory", {}).content
