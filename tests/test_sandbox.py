"""The sandbox: nothing escapes the agent's copy, nothing crashes, the original is untouched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.tool_defs import READ_CAP_BYTES
from nanotui.engine.agent.tools import ToolBox


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.txt").write_text("TOP SECRET")
    return secret


@pytest.fixture
def box(workspace: Path, outside: Path):
    ws = workspace
    os.symlink(outside / "secret.txt", ws / "link_to_file")
    os.symlink(outside, ws / "link_to_dir")
    os.symlink("loop_b", ws / "loop_a")
    os.symlink("loop_a", ws / "loop_b")
    os.symlink("README.md", ws / "inside_link")
    sandbox = Sandbox.create(ws)
    yield ToolBox(sandbox), sandbox, ws
    sandbox.cleanup()


def refused(outcome) -> bool:
    return not outcome.ok and outcome.content.startswith("Error:")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() and not p.is_symlink() else b"<other>")
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "/", "~/.bashrc", "..", "../outside/secret.txt", "data/../../outside/secret.txt",
     "./../x", "C:\\Windows\\win.ini", "link_to_file", "link_to_dir/secret.txt", "link_to_dir"],
)
def test_read_outside_is_refused(box, path: str) -> None:
    tools, _, _ = box
    out = tools.call("read_file", {"file_path": path})
    assert refused(out)
    assert "TOP SECRET" not in out.content and "root:" not in out.content


@pytest.mark.parametrize("path", ["../evil.txt", "/tmp/evil.txt", "link_to_dir/evil.txt", "link_to_file"])
def test_write_outside_is_refused(box, outside: Path, path: str) -> None:
    tools, _, _ = box
    out = tools.call("write_file", {"file_path": path, "content": "pwned"})
    assert refused(out)
    assert (outside / "secret.txt").read_text() == "TOP SECRET"
    assert not (outside / "evil.txt").exists()


def test_edit_through_symlink_out_is_refused(box, outside: Path) -> None:
    tools, _, _ = box
    out = tools.call("edit_file", {"file_path": "link_to_file", "old_str": "TOP", "new_str": "NOT"})
    assert refused(out)
    assert (outside / "secret.txt").read_text() == "TOP SECRET"


def test_list_outside_is_refused(box) -> None:
    tools, _, _ = box
    assert refused(tools.call("list_directory", {"directory_path": "link_to_dir"}))
    assert refused(tools.call("list_directory", {"directory_path": ".."}))


def test_symlink_loop_is_refused_not_crashing(box) -> None:
    tools, _, _ = box
    assert refused(tools.call("read_file", {"file_path": "loop_a"}))
    assert refused(tools.call("get_file_info", {"file_path": "loop_b"}))


def test_symlink_inside_is_followed(box) -> None:
    tools, _, _ = box
    out = tools.call("read_file", {"file_path": "inside_link"})
    assert out.ok and "PLUM" in out.content


def test_nul_byte_in_path_is_refused(box) -> None:
    tools, _, _ = box
    assert refused(tools.call("read_file", {"file_path": "README.md\x00.txt"}))


def test_original_workspace_never_modified(box) -> None:
    tools, sandbox, ws = box
    before = snapshot(ws)
    assert tools.call("write_file", {"file_path": "README.md", "content": "changed"}).ok
    assert tools.call("write_file", {"file_path": "new/deep/file.txt", "content": "x"}).ok
    assert tools.call("edit_file", {"file_path": "data/numbers.txt", "old_str": "2", "new_str": "two"}).ok
    assert snapshot(ws) == before
    assert sandbox.files_changed() == ["README.md", "data/numbers.txt", "new/deep/file.txt"]


def test_huge_file_is_capped_and_says_so(box) -> None:
    tools, sandbox, _ = box
    (sandbox.root / "huge.log").write_bytes(b"x" * (READ_CAP_BYTES * 3))
    out = tools.call("read_file", {"file_path": "huge.log"})
    assert out.ok
    assert f"at most {READ_CAP_BYTES} bytes" in out.content
    assert len(out.content) < READ_CAP_BYTES + 200


def test_binary_file_is_refused_politely(box) -> None:
    tools, sandbox, _ = box
    (sandbox.root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    out = tools.call("read_file", {"file_path": "image.png"})
    assert not out.ok and "binary" in out.content
    info = json.loads(tools.call("get_file_info", {"file_path": "image.png"}).content)
    assert info["binary"] is True


def test_non_utf8_file_is_read_with_a_note(box) -> None:
    tools, sandbox, _ = box
    (sandbox.root / "latin1.txt").write_bytes("café crème".encode("latin-1"))
    out = tools.call("read_file", {"file_path": "latin1.txt"})
    assert out.ok and "caf" in out.content and "not valid UTF-8" in out.content


def test_edit_preserves_non_utf8_bytes_elsewhere(box) -> None:
    tools, sandbox, _ = box
    (sandbox.root / "mixed.txt").write_bytes(b"caf\xe9 NAME end")
    assert tools.call("edit_file", {"file_path": "mixed.txt", "old_str": "NAME", "new_str": "name"}).ok
    assert (sandbox.root / "mixed.txt").read_bytes() == b"caf\xe9 name end"


def test_write_into_new_subfolder_creates_parents(box) -> None:
    tools, sandbox, _ = box
    out = tools.call("write_file", {"file_path": "a/b/c/out.json", "content": "{}"})
    assert out.ok and "created a/b/c/out.json" in out.content
    assert (sandbox.root / "a/b/c/out.json").read_text() == "{}"


def test_write_onto_a_directory_is_refused(box) -> None:
    tools, _, _ = box
    assert refused(tools.call("write_file", {"file_path": "data", "content": "x"}))


@pytest.mark.parametrize(("old", "count"), [("nope", 0), ("\n", 3)])
def test_edit_needs_exactly_one_match(box, old: str, count: int) -> None:
    tools, sandbox, _ = box
    out = tools.call("edit_file", {"file_path": "data/numbers.txt", "old_str": old, "new_str": "z"})
    assert refused(out) and f"found {count} matches" in out.content
    assert (sandbox.root / "data/numbers.txt").read_text() == "1\n2\n3\n"


def test_edit_with_empty_old_str_is_refused(box) -> None:
    tools, _, _ = box
    assert refused(tools.call("edit_file", {"file_path": "README.md", "old_str": "", "new_str": "x"}))


def test_special_files_are_not_copied_nor_readable(workspace: Path) -> None:
    os.mkfifo(workspace / "pipe")
    sandbox = Sandbox.create(workspace)
    try:
        tools = ToolBox(sandbox)
        out = tools.call("read_file", {"file_path": "pipe"})  # would hang if it were a FIFO
        assert refused(out)
        os.mkfifo(sandbox.root / "pipe2")
        assert refused(tools.call("read_file", {"file_path": "pipe2"}))
        assert "special file" in tools.call("get_file_info", {"file_path": "pipe2"}).content
    finally:
        sandbox.cleanup()


def test_read_only_mode_refuses_writing_tools(workspace: Path) -> None:
    sandbox = Sandbox.create(workspace)
    try:
        tools = ToolBox(sandbox, read_only=True)
        assert "read-only" in tools.call("write_file", {"file_path": "x", "content": "y"}).content
        assert "read-only" in tools.call("edit_file", {"file_path": "README.md", "old_str": "a", "new_str": "b"}).content
        assert tools.call("read_file", {"file_path": "README.md"}).ok
        assert sandbox.files_changed() == []
    finally:
        sandbox.cleanup()


def test_each_sandbox_is_a_separate_copy(workspace: Path) -> None:
    a, b = Sandbox.create(workspace), Sandbox.create(workspace)
    try:
        ToolBox(a).call("write_file", {"file_path": "README.md", "content": "mine"})
        assert (b.root / "README.md").read_text() != "mine"
        assert a.root != b.root
    finally:
        a.cleanup()
        b.cleanup()


def test_bad_arguments_are_error_results(box) -> None:
    tools, _, _ = box
    assert "unknown tool" in tools.call("delete_everything", {}).content
    assert "not a valid JSON object" in tools.call("read_file", None).content
    assert "needs the argument" in tools.call("read_file", {}).content
    assert "must be a string" in tools.call("read_file", {"file_path": 7}).content
    assert "unknown argument" in tools.call("read_file", {"file_path": "README.md", "mode": "r"}).content


def test_list_directory_is_sorted_with_type_and_size(box) -> None:
    tools, _, _ = box
    out = tools.call("list_directory", {})
    assert out.ok
    lines = out.content.splitlines()[1:]
    names = [line.split()[-1] for line in lines]
    assert names == sorted(names)
    assert any(line.startswith("file") and "README.md" in line and "32" in line for line in lines)
    assert any(line.startswith("dir") and "data/" in line for line in lines)
    assert any(line.startswith("link") and "link_to_dir" in line for line in lines)


def test_get_file_info_is_json(box) -> None:
    tools, _, _ = box
    info = json.loads(tools.call("get_file_info", {"file_path": "README.md"}).content)
    assert info["type"] == "file" and info["size_bytes"] == 32 and info["lines"] == 2
    assert "modified" in info


def test_bytecode_caches_are_not_copied(workspace: Path) -> None:
    # pip compiles installed fixtures; agents must not see the interpreter's litter.
    (workspace / "__pycache__").mkdir()
    (workspace / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\x00")
    (workspace / "data" / "__pycache__").mkdir()
    sandbox = Sandbox.create(workspace)
    try:
        assert not (sandbox.root / "__pycache__").exists()
        assert not (sandbox.root / "data" / "__pycache__").exists()
        assert (sandbox.root / "data" / "numbers.txt").exists()
    finally:
        sandbox.cleanup()


def test_files_changed_is_about_content_not_times(box) -> None:
    tools, sandbox, _ = box
    # Rewritten with the same bytes: not a change. Same size, other bytes: a change.
    assert tools.call("write_file", {"file_path": "README.md", "content": "# Demo\nThe secret word is PLUM.\n"}).ok
    assert tools.call("edit_file", {"file_path": "data/numbers.txt", "old_str": "2", "new_str": "7"}).ok
    os.utime(sandbox.root / "data/numbers.txt", (0, 0))  # times set back do not hide it
    assert sandbox.files_changed() == ["data/numbers.txt"]


def test_links_inside_are_walked_like_the_kernel_would(box) -> None:
    tools, sandbox, _ = box
    os.symlink(str(sandbox.root / "data" / "numbers.txt"), sandbox.root / "absolute_inside")
    os.symlink("data", sandbox.root / "d")
    os.symlink("d/../README.md", sandbox.root / "via_parent")
    assert tools.call("read_file", {"file_path": "absolute_inside"}).content == "1\n2\n3\n"
    assert tools.call("read_file", {"file_path": "d/numbers.txt"}).content == "1\n2\n3\n"
    assert "PLUM" in tools.call("read_file", {"file_path": "via_parent"}).content
    assert "PLUM" in tools.call("read_file", {"file_path": "d/../README.md"}).content
    out = tools.call("write_file", {"file_path": "absolute_inside", "content": "9\n"})
    assert out.content == "overwrote data/numbers.txt (2 bytes)"
    assert refused(tools.call("read_file", {"file_path": "d/../../x"}))
    assert tools.call("read_file", {"file_path": "x" * 5000}).content == (
        "Error: path is too long (5000 bytes; at most 4096)"
    )
