"""Opening a model's path beneath the workspace root without a race.

Check-then-open loses to a process that swaps a folder for an outward symlink between the
check and the open. Here every component is opened relative to the descriptor of the folder
before it with ``O_NOFOLLOW``, so the kernel never follows a link for us: a symlink is read
(``readlink``) and its target walked the same way, and ``..`` pops the stack of folder
descriptors already held instead of asking the filesystem for a parent that may have moved.
Whatever is swapped in between, the walk can only ever stand in folders it opened itself,
all of them reached from the root.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

MAX_LINKS = 40  # the kernel's own limit for one path (Linux ELOOP)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# A component that is a symlink fails O_NOFOLLOW with ELOOP (ENOTDIR with O_DIRECTORY on
# some systems, EMLINK on the BSDs); each is checked with readlink.
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.ENOTDIR, errno.EMLINK})
_SWAP_RETRIES = 8  # a component that keeps changing under us between open and readlink
SHOWN_CHARS = 200  # how much of a path a refusal repeats


class PathRefused(Exception):
    """A path that leaves the root or cannot be walked safely; the message is for the model."""


@dataclass(frozen=True, slots=True)
class Opened:
    fd: int  # the caller closes it
    rel: str  # where it really is, relative to the root ("." for the root)
    st: os.stat_result
    created: bool = False


def _show(path: str) -> str:
    return repr(path if len(path) <= SHOWN_CHARS else path[:SHOWN_CHARS] + "…")


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def _error(code: int, rel: str) -> OSError:
    return OSError(code, os.strerror(code), rel or ".")


class _Walk:
    """One walk: a stack of folder descriptors from the root, their names, the links seen."""

    def __init__(self, root_fd: int, root_real: str) -> None:
        self.root_real = root_real
        self.fds = [os.dup(root_fd)]
        self.names: list[str] = []
        self.links = 0

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)

    @property
    def top(self) -> int:
        return self.fds[-1]

    def rel(self, name: str | None = None) -> str:
        return "/".join(self.names + ([name] if name else [])) or "."

    def up(self, shown: str) -> None:
        if not self.names:
            raise PathRefused(f"path {_show(shown)} is outside the workspace; access refused")
        os.close(self.fds.pop())
        self.names.pop()

    def enter(self, fd: int, name: str) -> None:
        self.fds.append(fd)
        self.names.append(name)

    def link_target(self, name: str, shown: str) -> list[str] | None:
        """The components to walk instead of ``name`` if it is a symlink, else None."""
        try:
            target = os.readlink(name, dir_fd=self.top)
        except OSError:
            return None  # not a link (any more): the caller retries the open
        self.links += 1
        if self.links > MAX_LINKS:
            raise PathRefused(f"cannot resolve {_show(shown)}: symlink loop")
        if target.startswith("/"):
            # A link written with the copy's own absolute path stays usable; any other
            # absolute target is outside by definition.
            root = self.root_real.rstrip("/") + "/"
            if not (target + "/").startswith(root):
                raise PathRefused(f"path {_show(shown)} is outside the workspace; access refused")
            while self.names:
                self.up(shown)
            target = target[len(root):]
        return _parts(target)


def open_beneath(
    root_fd: int,
    root_real: str,
    path: str,
    flags: int,
    *,
    make_parents: bool = False,
    mode: int = 0o644,
) -> Opened:
    """Open ``path`` (relative, already checked to be text) beneath the root with ``flags``.

    Symlinks inside the root are followed; anything leading out raises :class:`PathRefused`.
    OS errors carry the relative path of the component that failed as their filename.
    """
    walk = _Walk(root_fd, root_real)
    pending = _parts(path)
    try:
        while pending:
            name = pending.pop(0)
            if name == "..":
                walk.up(path)
                continue
            if pending:
                more = _enter_folder(walk, name, path, make_parents)
                if more is not None:
                    pending[:0] = more
                continue
            opened = _open_last(walk, name, path, flags, mode)
            if isinstance(opened, list):
                pending[:0] = opened
                continue
            return opened
        # The path ended on a folder ("", ".", "a/.."): open the folder we stand in.
        fd = os.open(".", (flags & ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC)) | os.O_CLOEXEC, dir_fd=walk.top)
        return Opened(fd, walk.rel(), os.fstat(fd))
    except OSError as exc:
        if exc.filename is None:
            raise _error(exc.errno or errno.EIO, walk.rel()) from None
        raise
    finally:
        walk.close()


def _enter_folder(walk: _Walk, name: str, shown: str, make_parents: bool) -> list[str] | None:
    """Step into folder ``name``; a symlink returns its target's components instead."""
    for _ in range(_SWAP_RETRIES):
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=walk.top)
        except FileNotFoundError:
            if not make_parents:
                raise _error(errno.ENOENT, walk.rel(name)) from None
            try:
                os.mkdir(name, 0o755, dir_fd=walk.top)
            except FileExistsError:
                pass  # made meanwhile, or a dangling link: the next open tells
            continue
        except OSError as exc:
            more = _through_link(walk, exc, name, shown)
            if more is not None:
                return more
            continue
        walk.enter(fd, name)
        return None
    raise PathRefused(f"cannot resolve {_show(shown)}: the workspace keeps changing under it")


def _through_link(walk: _Walk, exc: OSError, name: str, shown: str) -> list[str] | None:
    """An open refused with O_NOFOLLOW: the components to walk instead when ``name`` is a
    symlink; ``None`` to try the open again (it changed meanwhile); else the error raised."""
    if exc.errno not in _LINK_ERRNOS:
        raise _error(exc.errno or errno.EIO, walk.rel(name)) from None
    more = walk.link_target(name, shown)
    if more is not None:
        return more
    if exc.errno == errno.ENOTDIR and _is_non_folder(walk.top, name):
        raise _error(errno.ENOTDIR, walk.rel(name)) from None
    return None


def _is_non_folder(dir_fd: int, name: str) -> bool:
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError:
        return False
    return not stat.S_ISDIR(mode) and not stat.S_ISLNK(mode)


def _open_last(walk: _Walk, name: str, shown: str, flags: int, mode: int) -> Opened | list[str]:
    """Open the last component; a symlink returns its target's components instead."""
    creating = bool(flags & os.O_CREAT)
    for _ in range(_SWAP_RETRIES):
        exclusive = creating
        # Creating: O_EXCL first, so ``created`` is known and an existing link is not
        # silently replaced; then without O_CREAT, which reports a link as ELOOP.
        first = flags | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_EXCL if exclusive else 0)
        try:
            try:
                fd = os.open(name, first, mode, dir_fd=walk.top)
            except FileExistsError:
                # It exists (perhaps as a link): open it without creating, to tell which.
                exclusive = False
                fd = os.open(name, (flags & ~os.O_CREAT) | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=walk.top)
        except FileNotFoundError:
            if creating:
                continue  # removed between the two opens: try again
            raise _error(errno.ENOENT, walk.rel(name)) from None
        except OSError as exc:
            more = _through_link(walk, exc, name, shown)
            if more is not None:
                return more
            continue
        return Opened(fd, walk.rel(name), os.fstat(fd), created=exclusive)
    raise PathRefused(f"cannot resolve {_show(shown)}: the workspace keeps changing under it")
