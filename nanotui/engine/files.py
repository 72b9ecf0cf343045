"""The user's files, safely: data files (TOML, JSON) read with a size and depth guard, so
a hostile or broken file is one line naming it, never a ``RecursionError``; output files
written so a crash never leaves half a file over a previous one."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nanotui.engine.errors import ConfigError

MAX_DATA_BYTES = 4 * 1024 * 1024  # a task, roster, theme or settings file is a few KiB
MAX_DEPTH = 64  # tables/arrays inside each other; real files need fewer than 10


class DataFileError(ValueError):
    """A data file too big or nested too deep (a ValueError, like the parsers' own errors)."""


def loads_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads`` with the guard; raises ``tomllib.TOMLDecodeError`` or :class:`DataFileError`."""
    data: dict[str, Any] = _guarded(tomllib.loads, text)
    return data


def loads_json(text: str) -> Any:
    """``json.loads`` with the guard; raises ``json.JSONDecodeError`` or :class:`DataFileError`."""
    return _guarded(json.loads, text)


def _guarded(parse: Callable[[str], Any], text: str) -> Any:
    _check_size(text)
    try:
        data = parse(text)
    except RecursionError:
        raise DataFileError(f"nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(data)
    return data


def _check_size(text: str) -> None:
    if len(text) > MAX_DATA_BYTES:
        raise DataFileError(f"larger than {MAX_DATA_BYTES // (1024 * 1024)} MiB")


def _check_depth(data: Any) -> None:
    # Iterative: everything after parsing (redaction, JSON, the UI) recurses into values,
    # so a file that parsed at depth 900 would fail later, somewhere less clear.
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DataFileError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


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
