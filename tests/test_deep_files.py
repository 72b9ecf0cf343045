"""Every TOML/JSON file the user supplies is read with a size and depth guard: a file nested
thousands deep or too big is one line naming it, never a RecursionError; the app still
starts with a broken theme or ui.json, and a ui.json that is not UTF-8 is moved aside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.errors import ConfigError
from nanotui.engine.files import MAX_DATA_BYTES, MAX_DEPTH, loads_json, loads_toml
from nanotui.engine.tasks.library import validate_paths
from nanotui.ui.settings import UISettings, load_settings, save_settings, settings_path
from nanotui.ui.themes import load_themes, user_themes_dir


def deep_toml(depth: int) -> str:
    return "a = " + "[" * depth + "]" * depth + "\n"


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def config() -> Path:
    path = Path(os.environ["NANOTUI_CONFIG_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_the_guard_refuses_deep_values_in_one_message(depth: int) -> None:
    for loads, text in ((loads_toml, deep_toml(depth)), (loads_json, deep_json(depth))):
        with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} levels deep"):
            loads(text)


def test_ordinary_nesting_passes() -> None:
    assert loads_toml(deep_toml(10))["a"] == [[[[[[[[[[]]]]]]]]]]
    assert loads_json('{"a": {"b": [1, 2]}}') == {"a": {"b": [1, 2]}}


def test_deep_task_files_are_one_problem_each(tmp_path: Path) -> None:
    md = tmp_path / "deep-md.md"
    md.write_text("+++\nid = \"deep-md\"\ntitle = \"x\"\n" + deep_toml(5_000) + "+++\nDo it.\n")
    toml = tmp_path / "deep-toml.toml"
    toml.write_text('id = "deep-toml"\ntitle = "x"\nprompt = "p"\n' + deep_toml(100_000))
    problems = validate_paths([md, toml])
    assert len(problems) == 2, problems
    assert "deep-md.md" in problems[0] and "front matter" in problems[0] and "nested more than" in problems[0]
    assert "deep-toml.toml" in problems[1] and "nested more than" in problems[1]


def test_huge_task_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    with big.open("wb") as f:  # sparse: no 4 MiB written to disk
        f.truncate(MAX_DATA_BYTES + 1)
    [problem] = validate_paths([big])
    assert "big.md" in problem and "larger than 4 MiB" in problem


def test_deep_reference_file(tmp_path: Path) -> None:
    from nanotui.engine.tasks.library import load_library
    from nanotui.engine.tasks.reference import load_reference

    folder = Path(os.environ["NANOTUI_CONFIG_DIR"]) / "tasks" / "deep-ref"
    folder.mkdir(parents=True)
    (folder / "task.md").write_text('+++\nid = "deep-ref"\ntitle = "x"\nreference = "reference.toml"\n+++\nAnswer.\n')
    (folder / "reference.toml").write_text('answer = "x"\n' + deep_toml(5_000))
    task = load_library().get("deep-ref")
    assert task.reference is not None
    with pytest.raises(ConfigError, match=r"reference\.toml: toml: nested more than"):
        load_reference(task)


def test_deep_roster_is_one_line(capsys) -> None:
    (config() / "roster.toml").write_text("[models.x]\nspec = \"openai:gpt-5\"\n" + deep_toml(100_000))
    assert main(["models"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "roster.toml: nested more than" in line


def test_huge_roster_is_one_line(capsys) -> None:
    (config() / "roster.toml").write_text("# padding\n" * (MAX_DATA_BYTES // 10 + 1))
    assert main(["models"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "roster.toml: larger than 4 MiB" in line


def test_deep_theme_is_skipped_with_one_problem() -> None:
    folder = user_themes_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deep.toml").write_text('name = "deep"\nprimary = "#336699"\n' + deep_toml(100_000))
    themes, problems = load_themes()
    assert "deep" not in [t.name for t in themes]
    [problem] = problems
    assert "deep.toml: nested more than" in problem


@pytest.mark.parametrize("content", [deep_json(100_000).encode(), b'{"theme": "caf\xe9"}'])
def test_broken_ui_json_is_moved_aside_and_never_overwritten(content: bytes) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    settings, problem = load_settings()
    assert settings == UISettings()
    assert problem is not None and str(path) in problem and "moved to ui.json.broken" in problem
    assert "\n" not in problem
    save_settings(UISettings(theme="nanotui-light"))  # the next change
    assert path.with_name("ui.json.broken").read_bytes() == content


async def test_app_starts_with_a_deep_theme_and_ui_json() -> None:
    from nanotui.ui.app import NanotuiApp

    folder = user_themes_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deep.toml").write_text('name = "deep"\nprimary = "#336699"\n' + deep_toml(100_000))
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(deep_json(100_000))
    app = NanotuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("deep.toml: nested more than" in m for m in messages), messages
        assert any("ui.json: not valid settings" in m for m in messages), messages


def test_a_task_file_that_is_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.md").symlink_to("b.md")
    (tmp_path / "b.md").symlink_to("a.md")
    assert validate_paths([tmp_path / "a.md"]) == [f"{tmp_path / 'a.md'}: a symlink loop or a link to nothing"]
