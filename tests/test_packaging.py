"""The wheel carries the top-level ``tasks/`` and ``themes/`` inside the package, dotfiles
included and ``__pycache__`` left out, and an installed copy finds them there; a checkout
finds its top-level folders and lists each task once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from nanotui.engine.paths import builtin_dir
from nanotui.engine.tasks.library import load_library

ROOT = Path(__file__).resolve().parents[1]


def _build_wheel(source: Path, out: Path) -> Path:
    from hatchling.builders.wheel import WheelBuilder

    return Path(next(iter(WheelBuilder(str(source)).build(directory=str(out), versions=["standard"]))))


def _source_copy(dest: Path) -> Path:
    """The files a wheel is built from, copied so a stray __pycache__ can be planted safely."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("nanotui", "tasks", "themes"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest


def _shipped(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_carries_tasks_and_themes_without_pycache(tmp_path: Path) -> None:
    source = _source_copy(tmp_path / "src")
    stray = source / "tasks" / "fix-bug" / "workspace" / "__pycache__" / "stray.cpython-311.pyc"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not shipped")
    wheel = _build_wheel(source, tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for top in ("tasks", "themes"):
        wanted = {f"nanotui/builtin/{top}/{rel}" for rel in _shipped(ROOT / top)}
        assert wanted and sorted(wanted - names) == []
    assert "nanotui/builtin/tasks/find-symbol/workspace/.gitignore" in names  # dotfiles travel too
    assert {"nanotui/builtin/roster.toml", "nanotui/ui/app.tcss"} <= names


PROBE = r"""
import json
from nanotui.engine.paths import builtin_dir
from nanotui.engine.tasks.library import load_library
lib = load_library()
print(json.dumps({"tasks": str(builtin_dir("tasks")), "themes": sorted(p.name for p in builtin_dir("themes").glob("*.toml")),
                  "ids": [t.id for t in lib.tasks], "origins": sorted({t.origin for t in lib.tasks}), "problems": lib.problems}))
"""


def test_an_installed_wheel_finds_its_packaged_tasks_and_themes(tmp_path: Path) -> None:
    wheel = _build_wheel(_source_copy(tmp_path / "src"), tmp_path / "dist")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "NANOTUI_CONFIG_DIR": str(tmp_path / "config")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(found["tasks"]) == site / "nanotui" / "builtin" / "tasks"
    assert found["themes"] == sorted(p.name for p in (ROOT / "themes").glob("*.toml"))
    assert len(found["ids"]) == len(_task_folders()) and found["origins"] == ["builtin"] and found["problems"] == []


def _task_folders() -> list[Path]:
    return [p for p in (ROOT / "tasks").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]


def test_a_checkout_uses_its_top_level_folders() -> None:
    assert builtin_dir("tasks") == ROOT / "tasks" and builtin_dir("themes") == ROOT / "themes"


def test_running_from_the_checkout_lists_each_task_once(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # ./tasks is then the built-in folder itself
    library = load_library()
    assert len(library.ids) == len(set(library.ids)) == len(_task_folders())
    assert {t.origin for t in library.tasks} == {"builtin"} and library.overridden == {}
