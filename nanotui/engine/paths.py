"""Where nanotui keeps things (platformdirs), with environment overrides for tests and CI."""

from __future__ import annotations

import os
from functools import cache
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


# The package folder (nanotui/), found from this file so the engine imports nothing above it.
_PACKAGE = Path(__file__).resolve().parents[1]


def builtin_dir(name: str) -> Path:
    """A folder of shipped data (``tasks``, ``themes``).

    A wheel carries it inside the package (``nanotui/builtin/<name>``, mapped there at build
    time from the repository's top-level folder). An editable install runs from a checkout,
    where it sits at the top level (``<checkout>/<name>``). In a checkout a folder left at
    the packaged location is a leftover of the old layout (untracked ``__pycache__`` after a
    pull), never the shipped data, so the checkout's folder wins there.
    """
    packaged = _PACKAGE / "builtin" / name
    checkout = _checkout_root()
    if packaged.is_dir() and checkout is None:
        return packaged
    if checkout is not None and (checkout / name).is_dir():
        return checkout / name
    return packaged


@cache  # where the package sits does not change while it runs
def _checkout_root() -> Path | None:
    """The repository root when the package runs from a nanotui checkout, else None."""
    root = _PACKAGE.parent
    try:
        text = (root / "pyproject.toml").read_text("utf-8")
    except OSError:
        return None
    import tomllib

    try:
        name = tomllib.loads(text).get("project", {}).get("name")
    except tomllib.TOMLDecodeError:
        return None
    return root if name == "nanotui" else None
