"""Writing output files safely: a crash never leaves half a file over a previous one."""

from __future__ import annotations

import os
from pathlib import Path

from nanotui.engine.errors import ConfigError


def write_text_atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def check_output_path(path: Path, flag: str) -> None:
    """Fail before any work starts, naming ``flag``, when ``path`` cannot be written."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{flag} {path}: folder {parent} does not exist")
    if path.is_dir():
        raise ConfigError(f"{flag} {path}: is a directory, expected a file path")
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"{flag} {path}: folder {parent} is not writable")
