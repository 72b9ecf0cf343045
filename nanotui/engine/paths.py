"""Where nanotui keeps things (platformdirs), with environment overrides for tests and CI."""

from __future__ import annotations

import os
from pathlib import Path

APP = "nanotui"


def _dir(env: str, kind: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))


def config_dir() -> Path:
    """User roster (roster.toml), user tasks (tasks/), user themes (themes/), settings."""
    return _dir("NANOTUI_CONFIG_DIR", "config")


def data_dir() -> Path:
    """Run history (history.sqlite3)."""
    return _dir("NANOTUI_DATA_DIR", "data")


def cache_dir() -> Path:
    """Assembled on-device model files."""
    return _dir("NANOTUI_CACHE_DIR", "cache")


def state_dir() -> Path:
    """UI state such as the last selection and theme."""
    return _dir("NANOTUI_STATE_DIR", "state")
