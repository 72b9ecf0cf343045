"""Copying a workspace for one agent: what may be copied, how much, and cleaning up after.

- A workspace that holds the temporary folder (where the copies go) or nanotui's own
  data, state or cache folders is refused: it would copy itself, or the run history.
- A budget of disk space and entries is checked before anything is copied, stopping the
  walk as soon as it is exceeded (``/`` is refused in milliseconds, not after minutes).
- Sparse files stay sparse: only their data extents are copied.
- Each copy's folder records the pid (and start time) of the process that made it, so the
  copies of a process that died are removed the next time nanotui runs.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nanotui.engine.errors import ConfigError

COPY_PREFIX = "nanotui-"
OWNER_FILE = "owner.json"
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 20_000
# Not workspace content: pip compiles fixtures installed from a wheel.
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Budget:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_entries: int = DEFAULT_MAX_ENTRIES

    @classmethod
    def from_env(cls) -> Budget:
        """The defaults, or ``NANOTUI_WORKSPACE_MAX_MB`` / ``NANOTUI_WORKSPACE_MAX_FILES``."""
        return cls(
            _env_int("NANOTUI_WORKSPACE_MAX_MB", DEFAULT_MAX_BYTES // (1024 * 1024)) * 1024 * 1024,
            _env_int("NANOTUI_WORKSPACE_MAX_FILES", DEFAULT_MAX_ENTRIES),
        )


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}={raw!r}: expected a whole number of at least 1")
    return int(raw)


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MiB"


# -- before the run -----------------------------------------------------------------------


def protected_folders() -> list[tuple[str, Path]]:
    """Folders a workspace must not contain, with what each one is."""
    from nanotui.engine.paths import cache_dir, data_dir, state_dir

    return [
        ("the temporary folder", Path(tempfile.gettempdir())),
        ("nanotui's data folder", data_dir()),
        ("nanotui's state folder", state_dir()),
        ("nanotui's cache folder", cache_dir()),
    ]


def refuse_protected(workspace: Path, label: str) -> None:
    """ConfigError if ``workspace`` is or contains the temporary folder or nanotui's own."""
    real = workspace.resolve()
    for what, folder in protected_folders():
        inner = folder.expanduser().resolve()
        if inner == real or real in inner.parents:
            why = "where each agent's copy is made" if "temporary" in what else "which no agent may copy"
            raise ConfigError(
                f"{label} {workspace}: contains {what} ({inner}), {why}; choose a folder that does not contain it"
            )


def check_budget(workspace: Path, label: str, budget: Budget | None = None) -> tuple[int, int]:
    """(bytes on disk, entries) of ``workspace``; ConfigError as soon as either is over budget.

    Bytes are the space the files take on disk (allocated blocks), which is what a copy that
    keeps sparse files sparse costs.
    """
    budget = budget or Budget.from_env()
    used = entries = 0
    def unreadable(exc: OSError) -> None:
        raise ConfigError(f"{label} {workspace}: cannot read {exc.filename} ({exc.strerror or exc})")

    for dirpath, dirnames, filenames in os.walk(workspace, followlinks=False, onerror=unreadable):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            entries += 1
            if entries > budget.max_entries:
                raise ConfigError(
                    f"{label} {workspace}: more than {budget.max_entries:,} files and folders, the budget "
                    "for a workspace copy (NANOTUI_WORKSPACE_MAX_FILES); choose a smaller folder"
                )
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                used += st.st_blocks * 512
                if used > budget.max_bytes:
                    raise ConfigError(
                        f"{label} {workspace}: more than {_mib(budget.max_bytes)} on disk, the budget for a "
                        "workspace copy (NANOTUI_WORKSPACE_MAX_MB); choose a smaller folder"
                    )
    return used, entries


# -- the copy -------------------------------------------------------------------------------


def new_copy_folder(prefix: str = COPY_PREFIX) -> Path:
    """A fresh folder in the temporary folder, marked with the owning process."""
    pid = os.getpid()
    base = Path(tempfile.mkdtemp(prefix=f"{prefix}{pid}-"))
    (base / OWNER_FILE).write_text(json.dumps({"pid": pid, "start": _start_time(pid)}))
    return base


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True, copy_function=copy_regular_only, ignore=IGNORED)


def copy_regular_only(src: str, dst: str) -> str:
    # FIFOs, sockets and devices are not copied: reading a FIFO would hang the agent.
    if stat.S_ISREG(os.lstat(src).st_mode):
        copy_sparse(src, dst)
        shutil.copystat(src, dst)
    return dst


def copy_sparse(src: str, dst: str) -> None:
    """Copy a file's data extents only, so holes stay holes (a 2 GiB sparse fixture costs
    what its data costs, not 2 GiB per agent)."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fd_in, fd_out = fin.fileno(), fout.fileno()
        size = os.fstat(fd_in).st_size
        offset = 0
        while offset < size:
            try:
                start = os.lseek(fd_in, offset, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:
                    break  # only a hole remains
                if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                    start = offset  # no hole support here: copy densely
                else:
                    raise
            try:
                end = os.lseek(fd_in, start, os.SEEK_HOLE)
            except OSError:
                end = size
            _copy_range(fd_in, fd_out, start, end)
            offset = end
        os.ftruncate(fd_out, size)


def _copy_range(fd_in: int, fd_out: int, start: int, end: int) -> None:
    pos = start
    while pos < end:
        chunk = os.pread(fd_in, min(_CHUNK, end - pos), pos)
        if not chunk:
            return
        written = 0
        while written < len(chunk):
            written += os.pwrite(fd_out, chunk[written:], pos + written)
        pos += len(chunk)


def remove_copy(base: Path) -> None:
    """Remove a copy's folder, even where a model's command made parts of it read-only."""

    def retry(func: Callable[[str], object], path: str, _exc: object) -> None:  # shutil's onerror signature
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700, follow_symlinks=False)
        except OSError:
            pass
        try:
            func(path)
        except OSError:
            pass

    shutil.rmtree(base, onerror=retry)


# -- copies left by processes that died ---------------------------------------------------


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int, start: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return start is None or _start_time(pid) in (None, start)


def clean_stale_copies(folder: Path | None = None) -> list[Path]:
    """Remove this user's nanotui copies whose owning process is gone; the removed folders.

    A folder without a readable owner file is left alone: it may be one being made now, or
    not ours to judge.
    """
    folder = folder or Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    uid = os.getuid()
    for entry in entries:
        if not entry.name.startswith(COPY_PREFIX):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
                continue
            fd = os.open(os.path.join(entry.path, OWNER_FILE), os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                owner = json.loads(fh.read(4096))
            pid, start = int(owner["pid"]), owner.get("start")
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if pid == os.getpid() or _alive(pid, start):
            continue
        remove_copy(Path(entry.path))
        removed.append(Path(entry.path))
    return removed
