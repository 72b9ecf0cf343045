"""Workspace copies: sparse files stay sparse, budgets and protected folders are checked
before anything is copied, every copy is removed, stale copies of dead processes too, and a
task's workspace stays inside the task's folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from nanotui.engine.agent.loop import AgentTask
from nanotui.engine.agent.sandbox import Sandbox
from nanotui.engine.agent.workspace import OWNER_FILE, clean_stale_copies
from nanotui.engine.errors import ConfigError
from nanotui.engine.roster.roster_file import load_roster
from nanotui.engine.run.orchestrator import Orchestrator
from nanotui.engine.run.plan import check_workspace, plan_run
from nanotui.engine.tasks.format import parse_task_file
from nanotui.engine.tasks.library import validate_paths
from nanotui.providers.registry import SdkProviders
from tests.helpers import FAST_RETRY
from tests.servers.script import Fault, Reply

MiB = 1024 * 1024


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the copies go to, private to this test so it can be counted."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def copies(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("nanotui-"))


def allocated(path: Path) -> int:
    return path.stat().st_blocks * 512


# -- sparse files ---------------------------------------------------------------------------


def test_a_sparse_file_stays_sparse_in_the_copy(workspace: Path, private_tmp: Path) -> None:
    sparse = workspace / "disk.img"
    with sparse.open("wb") as fh:
        fh.truncate(256 * MiB)
        fh.seek(100 * MiB)
        fh.write(b"DATA" * 1024)
    if allocated(sparse) > MiB:
        pytest.skip("this filesystem does not keep holes")
    sandbox = Sandbox.create(workspace)
    try:
        copy = sandbox.root / "disk.img"
        assert copy.stat().st_size == 256 * MiB
        assert allocated(copy) <= 2 * allocated(sparse) + 64 * 1024, allocated(copy)
        with copy.open("rb") as fh:
            fh.seek(100 * MiB - 4)
            assert fh.read(12) == b"\x00" * 4 + b"DATA" * 2
        assert (sandbox.root / "README.md").read_text() == (workspace / "README.md").read_text()
    finally:
        sandbox.cleanup()


def test_a_file_ending_in_a_hole_keeps_its_size(workspace: Path, private_tmp: Path) -> None:
    (workspace / "tail.bin").write_bytes(b"head")
    with (workspace / "tail.bin").open("r+b") as fh:
        fh.truncate(8 * MiB)
    sandbox = Sandbox.create(workspace)
    try:
        assert (sandbox.root / "tail.bin").read_bytes() == b"head" + b"\x00" * (8 * MiB - 4)
    finally:
        sandbox.cleanup()


# -- budgets and protected folders ------------------------------------------------------------


def test_file_count_budget_is_one_line_naming_the_workspace(workspace: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANOTUI_WORKSPACE_MAX_FILES", "3")
    for i in range(5):
        (workspace / f"f{i}.txt").write_text("x")
    with pytest.raises(ConfigError) as err:
        check_workspace(workspace)
    assert str(err.value) == (
        f"workspace '{workspace}': more than 3 files and folders, the budget for a workspace copy "
        "(NANOTUI_WORKSPACE_MAX_FILES); choose a smaller folder"
    )


def test_size_budget_counts_disk_space_so_sparse_files_pass(workspace: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANOTUI_WORKSPACE_MAX_MB", "1")
    with (workspace / "sparse.img").open("wb") as fh:
        fh.truncate(64 * MiB)
    assert check_workspace(workspace) == workspace.resolve()
    (workspace / "dense.bin").write_bytes(os.urandom(2 * MiB))
    with pytest.raises(ConfigError, match=r"more than 1 MiB on disk, the budget for a workspace copy"):
        check_workspace(workspace)


def test_a_bad_budget_variable_is_one_line(workspace: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANOTUI_WORKSPACE_MAX_MB", "lots")
    with pytest.raises(ConfigError, match=r"^NANOTUI_WORKSPACE_MAX_MB='lots': expected a whole number"):
        check_workspace(workspace)


def test_over_budget_is_refused_before_the_run_and_nothing_is_copied(
    workspace: Path, private_tmp: Path, monkeypatch
) -> None:
    monkeypatch.setenv("NANOTUI_WORKSPACE_MAX_FILES", "2")
    with pytest.raises(ConfigError, match="budget"):
        plan_run(models=["openai:gpt-5-mini"], prompt="hi", workspace=workspace)
    with pytest.raises(ConfigError, match="budget"):
        Sandbox.create(workspace)
    assert copies(private_tmp) == []


def test_a_workspace_holding_the_temporary_folder_is_refused(tmp_path: Path, private_tmp: Path) -> None:
    with pytest.raises(ConfigError) as err:
        plan_run(models=["openai:gpt-5-mini"], prompt="hi", workspace=tmp_path)
    assert str(err.value) == (
        f"workspace '{tmp_path}': contains the temporary folder ({private_tmp}), where each agent's copy "
        "is made; choose a folder that does not contain it"
    )
    with pytest.raises(ConfigError, match="contains the temporary folder"):
        check_workspace(private_tmp)
    with pytest.raises(ConfigError, match="contains the temporary folder"):
        Sandbox.create(private_tmp)
    assert copies(private_tmp) == []


@pytest.mark.parametrize("kind", ["DATA", "STATE", "CACHE"])
def test_a_workspace_holding_nanotui_folders_is_refused(kind: str, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "home" / kind.lower() / "nanotui"
    folder.mkdir(parents=True)
    monkeypatch.setenv(f"NANOTUI_{kind}_DIR", str(folder))
    for outer in (folder, folder.parent, tmp_path / "home"):
        with pytest.raises(ConfigError, match=f"contains nanotui's {kind.lower()} folder"):
            check_workspace(outer)


# -- every copy removed -------------------------------------------------------------------------


def test_a_copy_that_fails_half_way_leaves_nothing(workspace: Path, private_tmp: Path, monkeypatch) -> None:
    def broken(src: Path, dst: Path) -> None:
        dst.mkdir()
        (dst / "partial").write_text("x")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nanotui.engine.agent.sandbox.copy_tree", broken)
    with pytest.raises(OSError):
        Sandbox.create(workspace)
    assert copies(private_tmp) == []


async def test_every_agent_copy_is_removed_whatever_happened(
    openai_server, workspace: Path, private_tmp: Path
) -> None:
    openai_server.script("gpt-5-mini", Reply(text="done"))
    openai_server.script("gpt-5-nano", Fault(status=400))
    roster = load_roster()
    seen: list[list[str]] = []
    orch = Orchestrator(
        AgentTask("go", workspace),
        [roster.resolve("openai:gpt-5-mini"), roster.resolve("openai:gpt-5-nano")],
        providers=SdkProviders(),
        retry_policy=FAST_RETRY,
        after_agent=lambda result, sandbox: seen.append(copies(private_tmp)),
    )
    run = await orch.run()
    assert {a.status for a in run.agents} == {"ok", "error"}
    assert seen and all(seen)  # the copies existed while the agents ran
    assert copies(private_tmp) == []


# -- stale copies ---------------------------------------------------------------------------


def _copy_owned_by(folder: Path, name: str, owner: dict | None) -> Path:
    base = folder / name
    (base / "workspace").mkdir(parents=True)
    (base / "workspace" / "f.txt").write_text("x")
    if owner is not None:
        (base / OWNER_FILE).write_text(json.dumps(owner))
    return base


def test_stale_copies_of_dead_processes_are_removed(private_tmp: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        gone = _copy_owned_by(private_tmp, f"nanotui-{dead.pid}-a", {"pid": dead.pid, "start": None})
        live = _copy_owned_by(private_tmp, f"nanotui-{alive.pid}-b", {"pid": alive.pid, "start": None})
        mine = _copy_owned_by(private_tmp, f"nanotui-{os.getpid()}-c", {"pid": os.getpid(), "start": None})
        # The pid is alive but it is another process now: its start time differs.
        reused = _copy_owned_by(private_tmp, f"nanotui-{alive.pid}-d", {"pid": alive.pid, "start": -1})
        unmarked = _copy_owned_by(private_tmp, "nanotui-unmarked", None)
        other = _copy_owned_by(private_tmp, "someone-else", {"pid": dead.pid})
        removed = clean_stale_copies()
        assert sorted(removed) == sorted([gone, reused])
        assert not gone.exists() and not reused.exists()
        assert live.exists() and mine.exists() and unmarked.exists() and other.exists()
    finally:
        alive.kill()
        alive.wait()


async def test_a_run_cleans_stale_copies_at_its_start(openai_server, private_tmp: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = _copy_owned_by(private_tmp, f"nanotui-{dead.pid}-x", {"pid": dead.pid, "start": None})
    openai_server.script("gpt-5-mini", Reply(text="done"))
    orch = Orchestrator(AgentTask("go"), [load_roster().resolve("openai:gpt-5-mini")],
                        providers=SdkProviders(), retry_policy=FAST_RETRY)
    await orch.run()
    assert not stale.exists()


def test_copy_folders_record_their_owner(workspace: Path, private_tmp: Path) -> None:
    sandbox = Sandbox.create(workspace)
    try:
        owner = json.loads((sandbox.root.parent / OWNER_FILE).read_text())
        assert owner["pid"] == os.getpid()
        assert sandbox.root.parent.name.startswith(f"nanotui-{os.getpid()}-")
        assert not (sandbox.root / OWNER_FILE).exists()  # beside the copy, not in it
    finally:
        sandbox.cleanup()
    assert copies(private_tmp) == []


# -- task files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["/etc", "../../../../", "..", "sub/../../x"])
def test_a_task_workspace_must_stay_in_the_task_folder(tmp_path: Path, value: str) -> None:
    folder = tmp_path / "tasks" / "t"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "tasks" / "x").mkdir()
    task_file = folder / "task.md"
    task_file.write_text(f'+++\nid = "t"\nworkspace = "{value}"\n+++\nDo it.\n')
    task, problems = parse_task_file(task_file)
    assert task is None
    assert problems == [
        f"{task_file}: workspace: {value!r} is outside the task's folder; the workspace must be a folder inside it"
    ]


def test_a_task_workspace_inside_its_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    task_file = tmp_path / "task.md"
    task_file.write_text('+++\nid = "t"\nworkspace = "ws"\n+++\nDo it.\n')
    task, problems = parse_task_file(task_file)
    assert problems == [] and task is not None and task.workspace == (tmp_path / "ws").resolve()


def test_a_task_file_that_is_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    os.symlink("b.md", tmp_path / "a.md")
    os.symlink("a.md", tmp_path / "b.md")
    assert validate_paths([tmp_path / "a.md"]) == [f"{tmp_path / 'a.md'}: a symlink loop or a link to nothing"]
    _, problems = parse_task_file(tmp_path / "a.md")
    assert len(problems) == 1 and "a.md: file: cannot read" in problems[0]

