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
    """Fail before any work starts, naming ``flag``, when ``path`` cannot be written.

    A missing folder is created. Writability is tried for real, by creating and removing a
    file beside the target: ``os.access`` says yes to root even for ``/proc`` or ``/sys``."""
    if path.is_dir():
        raise ConfigError(f"{flag} {path}: is a directory, expected a file path")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot create folder {parent} ({exc.strerror or exc})") from None
    probe = parent / f".{path.name}.{os.getpid()}.probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot write in folder {parent} ({exc.strerror or exc})") from None
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
