"""What the TUI remembers between sessions: the theme and the last selection (task + models).

Kept as JSON in ``state_dir()/ui.json`` (``NANOTUI_STATE_DIR`` overrides the folder). A
dataclass, not pydantic: this module is imported on the way to the first frame.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nanotui.engine.files import loads_json

SETTINGS_FILE = "ui.json"


@dataclass
class UISettings:
    theme: str | None = None
    task_id: str | None = None
    models: list[str] = field(default_factory=list)  # roster entry names, in roster order


def settings_path() -> Path:
    from nanotui.engine.paths import state_dir

    return state_dir() / SETTINGS_FILE


def _parse(data: object, path: Path) -> UISettings:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    theme = data.get("theme")
    task_id = data.get("task_id")
    models = data.get("models", [])
    if theme is not None and not isinstance(theme, str):
        raise ValueError("'theme' must be a string")
    if task_id is not None and not isinstance(task_id, str):
        raise ValueError("'task_id' must be a string")
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise ValueError("'models' must be a list of strings")
    return UISettings(theme=theme, task_id=task_id, models=list(models))


def load_settings(path: Path | None = None) -> tuple[UISettings, str | None]:
    """The saved settings and, when the file was unusable, a one-line problem.

    A broken file is moved aside (``ui.json.broken``) rather than overwritten later, so
    nothing the user may have edited by hand is lost.
    """
    path = path or settings_path()
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return UISettings(), None
    except OSError as exc:
        return UISettings(), f"{path}: cannot read settings ({exc.strerror or exc}); using defaults"
    except UnicodeDecodeError as exc:  # broken like bad JSON: moved aside, never overwritten
        return UISettings(), _move_aside(path, f"not UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        return _parse(loads_json(text), path), None
    except ValueError as exc:  # json.JSONDecodeError and DataFileError are ValueErrors
        return UISettings(), _move_aside(path, str(exc))


def _move_aside(path: Path, problem: str) -> str:
    """Move a broken settings file to ``ui.json.broken`` and say so in one line."""
    aside = path.with_name(path.name + ".broken")
    try:
        path.replace(aside)
        moved = f"; moved to {aside.name}"
    except OSError:
        moved = ""
    return f"{path}: not valid settings ({problem}){moved}; using defaults"


def save_settings(settings: UISettings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
