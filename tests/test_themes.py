"""Theme files: the shipped ones load and work in an app; user files add or replace themes;
a broken file is reported in one line and skipped, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer, Markdown, Static

from nanotui.ui.themes import load_themes, parse_theme, user_themes_dir

GOOD = 'name = "{name}"\nprimary = "#336699"\nbackground = "#101010"\ndark = true\n'


def write(folder: Path, filename: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_shipped_themes_load_without_problems() -> None:
    themes, problems = load_themes()
    assert problems == []
    names = [t.name for t in themes]
    assert len(names) >= 3 and "nanotui-dark" in names and "nanotui-light" in names
    light = next(t for t in themes if t.name == "nanotui-light")
    assert light.dark is False and light.primary.startswith("#")


def close(a: str, b: str) -> bool:
    """Same colour give or take Textual's rounding."""
    from textual.color import Color

    ca, cb = Color.parse(a), Color.parse(b)
    return all(abs(x - y) <= 2 for x, y in zip(ca.rgb, cb.rgb))


class ThemedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("[$success]ok[/] [$error]error[/]")
        yield Markdown("# Title\n\nSome `code`.")
        yield Footer()


async def test_every_shipped_theme_can_be_switched_to() -> None:
    themes, _ = load_themes()
    app = ThemedApp()
    for theme in themes:
        app.register_theme(theme)
    async with app.run_test(size=(80, 24)) as pilot:
        for theme in themes:
            app.theme = theme.name
            await pilot.pause()
            assert app.theme == theme.name
            assert close(app.theme_variables["primary"], theme.primary)


def test_user_folder_adds_and_replaces_themes(tmp_path: Path) -> None:
    folder = tmp_path / "themes"
    write(folder, "mine.toml", GOOD.format(name="my-theme"))
    write(folder, "override.toml", GOOD.format(name="nanotui-dark").replace("#336699", "#AA0000"))
    write(folder, "notes.txt", "not a theme")  # other files are ignored
    themes, problems = load_themes(folder)
    assert problems == []
    by_name = {t.name: t for t in themes}
    assert "my-theme" in by_name and by_name["nanotui-dark"].primary == "#AA0000"


def test_default_user_folder_is_in_the_config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NANOTUI_CONFIG_DIR", str(tmp_path / "cfg"))
    assert user_themes_dir() == tmp_path / "cfg" / "themes"
    write(user_themes_dir(), "x.toml", GOOD.format(name="from-config"))
    assert "from-config" in [t.name for t in load_themes()[0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = \n", "not valid TOML"),
        ('primary = "#123456"\n', "'name' is required"),
        ('name = "x"\n', "'primary' is required"),
        ('name = "x"\nprimary = "#12345G"\n', "primary: '#12345G' is not a colour"),
        ('name = "x"\nprimary = "#123456"\nsurface = 12\n', "surface: expected a colour string"),
        ('name = "x"\nprimary = "#123456"\ndark = "yes"\n', "dark: expected true or false"),
        ('name = "x"\nprimary = "#123456"\ntext_alpha = 3\n', "text_alpha: expected a number from 0 to 1"),
        ('name = "x"\nprimary = "#123456"\nprimry = "#123456"\n', "unknown key(s) primry"),
        ('name = "x"\nprimary = "#123456"\nvariables = 3\n', "[variables] must be a table"),
        ('name = "x"\nprimary = "#123456"\n[variables]\nfooter-key-foreground = "blurple"\n',
         "variables.footer-key-foreground: 'blurple' is not valid"),
        ('name = "x"\nprimary = "#123456"\n[variables]\nlink-style = "wavy"\n',
         "variables.link-style: 'wavy' is not valid; expected a text style"),
    ],
)
def test_broken_file_is_one_line_and_skipped(tmp_path: Path, text: str, expected: str) -> None:
    folder = tmp_path / "themes"
    write(folder, "a-broken.toml", text)
    write(folder, "b-good.toml", GOOD.format(name="still-here"))
    themes, problems = load_themes(folder)
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith(str(folder / "a-broken.toml") + ": ")
    assert expected in problems[0], problems[0]
    names = [t.name for t in themes]
    assert "still-here" in names and "nanotui-dark" in names


def test_unreadable_and_duplicate_files_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "themes"
    write(folder, "a.toml", GOOD.format(name="twin"))
    write(folder, "b.toml", GOOD.format(name="twin"))
    write(folder, "c.toml", b"name = \"\xff\"\n")
    themes, problems = load_themes(folder)
    assert sum(t.name == "twin" for t in themes) == 1
    assert any("b.toml" in p and "already used by" in p for p in problems)
    assert any("c.toml" in p and "cannot read" in p for p in problems)


async def test_custom_variables_are_kept_and_a_valid_theme_renders(tmp_path: Path) -> None:
    theme = parse_theme(
        'name = "v"\nprimary = "#336699"\n[variables]\nfooter-key-foreground = "#FF00FF"\nmy-own = "anything"\n',
        "v.toml",
    )
    assert theme.variables == {"footer-key-foreground": "#FF00FF", "my-own": "anything"}
    app = ThemedApp()
    app.register_theme(theme)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "v"
        await pilot.pause()
        assert close(app.theme_variables["footer-key-foreground"], "#FF00FF")
