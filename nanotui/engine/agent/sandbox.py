"""Each agent's private copy of the task workspace, and the path rules that keep it there.

Every path a model gives is opened beneath the copy's root (``beneath.open_beneath``):
absolute paths, escapes through ``..`` or symlinks, and special files are refused, and no
folder swapped in during the walk can lead out. Copying, budgets and cleaning up stale
copies live in ``workspace``.
"""

from __future__ import annotations

import atexit
import filecmp
import os
import stat
import weakref
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nanotui.engine.agent.beneath import Opened, PathRefused, open_beneath
from nanotui.engine.agent.workspace import (
    COPY_PREFIX,
    Budget,
    check_budget,
    copy_tree,
    new_copy_folder,
    refuse_protected,
    remove_copy,
)

MAX_PATH_BYTES = 4096  # PATH_MAX on Linux
SHOWN_PATH_CHARS = 200  # how much of a path an error message repeats


class SandboxError(Exception):
    """A refused path or operation; the message is shown to the model."""


@dataclass(frozen=True, slots=True)
class _Fingerprint:
    # ctime too: a write always moves it, and unlike mtime no utime() can set it back.
    size: int
    mtime_ns: int
    ctime_ns: int


def _same_content(a: Path, b: Path) -> bool:
    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def shown_path(path: str) -> str:
    """A model's path as an error message repeats it: lone surrogates escaped, cut short."""
    text = path.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= SHOWN_PATH_CHARS else text[:SHOWN_PATH_CHARS] + "…"


# Copies still on disk in this process, removed at exit if a caller never got to it.
_LIVE: weakref.WeakSet[Sandbox] = weakref.WeakSet()


@atexit.register
def _remove_live_copies() -> None:
    for sandbox in list(_LIVE):
        sandbox.cleanup()


class Sandbox:
    """A temporary copy of a workspace. Use :meth:`create`; call :meth:`cleanup` when done."""

    def __init__(self, root: Path, source: Path | None = None) -> None:
        self.root = root.resolve()
        self.source = source  # the original workspace, to tell a rewrite from a change
        self._root_fd: int | None = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._before = self._fingerprints()
        _LIVE.add(self)

    @classmethod
    def create(cls, workspace: Path | None, prefix: str = COPY_PREFIX, budget: Budget | None = None) -> Sandbox:
        """Copy ``workspace`` (checked against the budget first) into a fresh folder."""
        if workspace is not None:
            refuse_protected(workspace, "workspace")
            check_budget(workspace, "workspace", budget)
        base = new_copy_folder(prefix)
        try:
            root = base / "workspace"
            if workspace is None:
                root.mkdir()
            else:
                copy_tree(workspace, root)
            return cls(root, workspace)
        except BaseException:
            remove_copy(base)
            raise

    def cleanup(self) -> None:
        if self._root_fd is not None:
            os.close(self._root_fd)
            self._root_fd = None
        _LIVE.discard(self)
        remove_copy(self.root.parent)

    # -- path rules -------------------------------------------------------------------

    def check_path(self, path: str | None, *, default: str | None = None) -> str:
        """The model's ``path`` if it is a usable relative path, else :class:`SandboxError`."""
        if path is not None and not isinstance(path, str):
            raise SandboxError(f"path must be a string, got {type(path).__name__}")
        if path is None or path.strip() == "":
            if default is None:
                raise SandboxError("a path is required")
            path = default
        try:
            encoded = path.encode("utf-8")
        except UnicodeEncodeError:
            raise SandboxError(
                f"path {shown_path(path)!r} is not valid text (it holds a lone UTF-16 surrogate)"
            ) from None
        if "\x00" in path:
            raise SandboxError("path contains a NUL byte")
        if len(encoded) > MAX_PATH_BYTES:
            raise SandboxError(f"path is too long ({len(encoded)} bytes; at most {MAX_PATH_BYTES})")
        if path.startswith(("/", "\\", "~")) or PurePosixPath(path).is_absolute() or (
            len(path) > 1 and path[1] == ":"
        ):
            raise SandboxError(
                f"absolute paths are not allowed: {shown_path(path)!r}; use a path relative to the workspace root"
            )
        return path

    def open(self, path: str, flags: int, *, make_parents: bool = False) -> Opened:
        """Open a checked relative path beneath the root, race-free; special files refused."""
        if self._root_fd is None:
            raise SandboxError("the workspace copy is gone")
        try:
            opened = open_beneath(self._root_fd, str(self.root), path, flags | os.O_NONBLOCK,
                                  make_parents=make_parents)
        except PathRefused as exc:
            raise SandboxError(str(exc)) from None
        if not (stat.S_ISREG(opened.st.st_mode) or stat.S_ISDIR(opened.st.st_mode)):
            os.close(opened.fd)
            raise SandboxError(f"{shown_path(path)!r} is a special file (not a regular file or directory)")
        return opened

    # -- change tracking --------------------------------------------------------------

    def _fingerprints(self) -> dict[str, _Fingerprint]:
        # Stat only: hashing every file twice per agent cost seconds on a large fixture.
        prints: dict[str, _Fingerprint] = {}
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                try:
                    st = full.lstat()
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    rel = full.relative_to(self.root).as_posix()
                    prints[rel] = _Fingerprint(st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        return prints

    def files_changed(self) -> list[str]:
        """Paths (relative, sorted) of files created or modified since the copy was made.

        A file rewritten with its original content is not a change: where its size is the
        same but its times moved, it is compared with the original workspace's file.
        """
        changed = []
        for rel, fp in self._fingerprints().items():
            before = self._before.get(rel)
            if before == fp:
                continue
            if (
                before is not None
                and before.size == fp.size
                and self.source is not None
                and _same_content(self.root / rel, self.source / rel)
            ):
                continue
            changed.append(rel)
        return sorted(changed)

    def original_size(self, rel: str) -> int | None:
        fp = self._before.get(rel)
        return fp.size if fp else None
