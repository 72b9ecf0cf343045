"""Theme files → Textual ``Theme`` objects.

Every ``*.toml`` file in the shipped themes folder (``themes/`` in a checkout,
``nanotui/builtin/themes/`` in a wheel) and then in the user's ``<config dir>/themes/``
folder is loaded; a user theme with the name of a shipped one replaces it. A file that
cannot be used is skipped and described in one line (the app shows it as a notification
and keeps its current theme): a broken theme file never stops the app.

A theme file holds top-level keys ``name`` and ``primary`` (required), any of ``secondary``,
``accent``, ``warning``, ``error``, ``success``, ``foreground``, ``background``, ``surface``,
``panel``, ``boost`` (colours), ``dark`` (true/false), ``luminosity_spread`` and ``text_alpha``
(0–1), and an optional ``[variables]`` table of Textual design variables.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from nanotui.engine.files import DataFileError, loads_toml

COLOUR_KEYS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "boost",
)
FRACTION_KEYS = ("luminosity_spread", "text_alpha")
KNOWN_KEYS = frozenset({"name", "dark", "variables", *COLOUR_KEYS, *FRACTION_KEYS})


class ThemeFileError(ValueError):
    """One line saying which file and field is wrong and what was expected."""


def user_themes_dir() -> Path:
    from nanotui.engine.paths import config_dir

    return config_dir() / "themes"


def builtin_theme_files() -> list[Path]:
    from nanotui.engine.paths import builtin_dir

    return sorted(builtin_dir("themes").glob("*.toml"), key=lambda f: f.name)


def parse_theme(text: str, origin: str) -> Theme:
    """A Theme from a theme file's text; raises :class:`ThemeFileError` naming ``origin``."""
    try:
        data = loads_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{origin}: not valid TOML ({exc})") from None
    except DataFileError as exc:
        raise ThemeFileError(f"{origin}: {exc}") from None
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ThemeFileError(f"{origin}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(KNOWN_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{origin}: 'name' is required: a non-empty string")
    if "primary" not in data:
        raise ThemeFileError(f"{origin}: 'primary' is required: a colour such as \"#5B8DEF\"")
    fields: dict[str, Any] = {"name": name.strip()}
    for key in COLOUR_KEYS:
        if key in data:
            fields[key] = _colour(data[key], f"{origin}: {key}")
    if "dark" in data:
        if not isinstance(data["dark"], bool):
            raise ThemeFileError(f"{origin}: dark: expected true or false, got {data['dark']!r}")
        fields["dark"] = data["dark"]
    for key in FRACTION_KEYS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ThemeFileError(f"{origin}: {key}: expected a number from 0 to 1, got {value!r}")
            fields[key] = float(value)
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ThemeFileError(f"{origin}: [variables] must be a table of names to strings")
    try:
        # Building the colour system is what the app does on switching; fail here instead.
        defaults = Theme(**fields).to_color_system().generate()
    except Exception as exc:
        raise ThemeFileError(f"{origin}: Textual cannot use this theme ({type(exc).__name__}: {exc})") from None
    for key, value in variables.items():
        _check_variable(key, value, defaults, origin)
    return Theme(**fields, variables=dict(variables))


def _check_variable(key: str, value: str, defaults: dict[str, str], origin: str) -> None:
    """A design variable with a bad value makes every stylesheet that uses it fail to parse,
    which would crash the app on switching: try it in a one-rule stylesheet first."""
    from textual.css.stylesheet import Stylesheet, StylesheetParseError

    if key not in defaults:
        return  # not one of Textual's: nothing in nanotui reads it
    prop = "text-style" if "style" in key else "color"
    sheet = Stylesheet(variables={**defaults, key: value})
    sheet.add_source(f"Widget {{ {prop}: ${key}; }}", read_from=(origin, ""))
    try:
        sheet.parse()
    except StylesheetParseError:
        expected = "a text style such as \"bold\"" if prop == "text-style" else "a colour such as \"#5B8DEF\""
        raise ThemeFileError(f"{origin}: variables.{key}: {value!r} is not valid; expected {expected}") from None


def _colour(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{where}: expected a colour string such as \"#5B8DEF\", got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{where}: {value!r} is not a colour (expected e.g. \"#5B8DEF\" or \"rgb(91,141,239)\")") from None
    return value


def _load_files(files: Iterable[Path], label: str) -> tuple[list[Theme], list[str]]:
    themes: list[Theme] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for f in files:
        origin = f"{label}/{f.name}" if label else str(f)
        try:
            text = f.read_text(encoding="utf-8")
            theme = parse_theme(text, origin)
        except ThemeFileError as exc:
            problems.append(str(exc))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{origin}: cannot read theme file ({exc})")
            continue
        if theme.name in seen:
            problems.append(f"{origin}: theme name {theme.name!r} is already used by {seen[theme.name]}; skipped")
            continue
        seen[theme.name] = origin
        themes.append(theme)
    return themes, problems


def load_themes(user_dir: Path | None = None) -> tuple[list[Theme], list[str]]:
    """(themes, problems): the shipped themes, then the user's (same name replaces)."""
    themes, problems = _load_files(builtin_theme_files(), "built-in themes")
    folder = user_dir if user_dir is not None else user_themes_dir()
    if folder.is_dir():
        try:
            files = sorted(p for p in folder.iterdir() if p.suffix == ".toml" and p.is_file())
        except OSError as exc:
            files = []
            problems.append(f"{folder}: cannot list themes ({exc})")
        user_themes, user_problems = _load_files(files, "")
        problems += user_problems
        by_name = {t.name: t for t in themes}
        by_name.update({t.name: t for t in user_themes})
        themes = list(by_name.values())
    return themes, problems
