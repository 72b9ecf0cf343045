"""Each agent's private copy of the task workspace, and the path rules that keep it there.

Every path a model gives is resolved (symlinks followed) and must land inside the copy's
root; absolute paths, escapes through ``..`` or symlinks, and special files are refused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class SandboxError(Exception):
    """A refused path or operation; the message is shown to the model."""


@dataclass(frozen=True, slots=True)
class _Fingerprint:
    size: int
    digest: str


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy_regular_only(src: str, dst: str) -> str:
    # FIFOs, sockets and devices are not copied: reading a FIFO would hang the agent.
    mode = os.lstat(src).st_mode
    if stat.S_ISREG(mode):
        return shutil.copy2(src, dst)
    return dst


class Sandbox:
    """A temporary copy of a workspace. Use :meth:`create`; call :meth:`cleanup` when done."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._before = self._fingerprints()

    @classmethod
    def create(cls, workspace: Path | None, prefix: str = "nanotui-") -> Sandbox:
        base = Path(tempfile.mkdtemp(prefix=prefix))
        root = base / "workspace"
        if workspace is None:
            root.mkdir()
        else:
            shutil.copytree(
                workspace,
                root,
                symlinks=True,
                copy_function=_copy_regular_only,
                # pip compiles fixtures installed from a wheel; that is not workspace content.
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        return cls(root)

    def cleanup(self) -> None:
        shutil.rmtree(self.root.parent, ignore_errors=True)

    # -- path rules -------------------------------------------------------------------

    def resolve(self, path: str | None, *, default: str | None = None) -> Path:
        """The real path for a model-given relative ``path``, or :class:`SandboxError`."""
        if path is None or (isinstance(path, str) and path.strip() == ""):
            if default is None:
                raise SandboxError("a path is required")
            path = default
        if not isinstance(path, str):
            raise SandboxError(f"path must be a string, got {type(path).__name__}")
        if "\x00" in path:
            raise SandboxError("path contains a NUL byte")
        if path.startswith(("/", "\\", "~")) or PurePosixPath(path).is_absolute() or (
            len(path) > 1 and path[1] == ":"
        ):
            raise SandboxError(
                f"absolute paths are not allowed: {path!r}; use a path relative to the workspace root"
            )
        candidate = self.root / path
        try:
            real = candidate.resolve(strict=False)
        except (RuntimeError, OSError) as exc:  # symlink loops (RuntimeError on 3.11)
            raise SandboxError(f"cannot resolve {path!r}: symlink loop or bad path") from exc
        if real != self.root and self.root not in real.parents:
            raise SandboxError(f"path {path!r} is outside the workspace; access refused")
        if real.exists() and not (real.is_file() or real.is_dir()):
            raise SandboxError(f"{path!r} is a special file (not a regular file or directory)")
        return real

    def relative(self, real: Path) -> str:
        rel = real.relative_to(self.root).as_posix()
        return rel or "."

    # -- change tracking --------------------------------------------------------------

    def _fingerprints(self) -> dict[str, _Fingerprint]:
        prints: dict[str, _Fingerprint] = {}
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                try:
                    st = full.lstat()
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                prints[full.relative_to(self.root).as_posix()] = _Fingerprint(st.st_size, _digest(full))
        return prints

    def files_changed(self) -> list[str]:
        """Paths (relative, sorted) of files created or modified since the copy was made."""
        after = self._fingerprints()
        return sorted(p for p, fp in after.items() if self._before.get(p) != fp)

    def original_size(self, rel: str) -> int | None:
        fp = self._before.get(rel)
        return fp.size if fp else None
