"""The five file tools every model gets, run against an agent's workspace copy (their names,
descriptions and schemas are declared in ``tool_defs.py``).

Tool failures are results the model sees (``ok=False``), never exceptions: the run goes on,
whatever string a model sends. Every read is capped at ``READ_CAP_BYTES`` and every write
(an edit's result included) at ``WRITE_CAP_BYTES``; every path is opened race-free beneath
the workspace copy (``Sandbox.open``).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nanotui.engine.agent.beneath import Opened
from nanotui.engine.agent.feedback import count_matches, no_match, several_matches
from nanotui.engine.agent.sandbox import Sandbox, SandboxError, shown_path
from nanotui.engine.agent.tool_defs import READ_CAP_BYTES, TOOL_DEFS, TOOL_NAMES, WRITE_CAP_BYTES, WRITING_TOOLS


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    ok: bool
    content: str


PATH_ARGUMENTS = frozenset({"file_path", "directory_path"})
_READ = os.O_RDONLY
_WRITE = os.O_WRONLY | os.O_CREAT
_EDIT = os.O_RDWR
_BINARY_SNIFF = 8192
_SURROGATE_NOTE = "[note: lone UTF-16 surrogates in {what} were written as U+FFFD]"


def _without_surrogates(text: str) -> tuple[str, bool]:
    """``text`` with lone surrogates replaced by U+FFFD, and whether any were.

    Through UTF-16 so that a pair a parser left as two halves becomes its one character.
    """
    try:
        text.encode("utf-8")
        return text, False
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace"), True


def _read_all(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``fd``, in a few reads (a file may grow meanwhile)."""
    parts, got = [], 0
    while got < limit:
        chunk = os.read(fd, min(limit - got, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    os.ftruncate(fd, 0)
    view, pos = memoryview(data), 0
    while pos < len(data):
        pos += os.pwrite(fd, view[pos:], pos)
    os.ftruncate(fd, len(data))


class ToolBox:
    """Runs the five tools against one agent's sandbox."""

    def __init__(self, sandbox: Sandbox, *, read_only: bool = False) -> None:
        self.sandbox = sandbox
        self.read_only = read_only

    def call(self, name: str, arguments: dict[str, Any] | None) -> ToolOutcome:
        if name not in TOOL_NAMES:
            shown = shown_path(str(name))
            return ToolOutcome(False, f"Error: unknown tool {shown!r}; available tools: {', '.join(TOOL_NAMES)}")
        if not isinstance(arguments, dict):
            return ToolOutcome(False, f"Error: arguments for {name} are not a valid JSON object")
        if self.read_only and name in WRITING_TOOLS:
            return ToolOutcome(False, f"Error: {name} is disabled: this task is read-only")
        spec = next(t for t in TOOL_DEFS if t.name == name)
        allowed = set(spec.parameters["properties"])
        unknown = sorted(shown_path(str(k)) for k in set(arguments) - allowed)
        if unknown:
            return ToolOutcome(False, f"Error: unknown argument(s) for {name}: {', '.join(unknown)}")
        for req in spec.parameters["required"]:
            if req not in arguments:
                return ToolOutcome(False, f"Error: {name} needs the argument {req!r}")
        for key, value in arguments.items():
            if value is not None and not isinstance(value, str):
                return ToolOutcome(False, f"Error: argument {key!r} of {name} must be a string")
        try:
            outcome: ToolOutcome = getattr(self, f"_{name}")(**arguments)
        except SandboxError as exc:
            return ToolOutcome(False, f"Error: {exc}")
        except OSError as exc:
            return ToolOutcome(False, _os_error(exc))
        except Exception as exc:  # a tool's bug is the model's error result, never the run's end
            return ToolOutcome(False, f"Error: {name} failed unexpectedly ({type(exc).__name__})")
        # File names that are not UTF-8 come back from the OS as lone surrogates; what the
        # model (and the history) gets is always valid text.
        content, _ = _without_surrogates(outcome.content)
        return ToolOutcome(outcome.ok, content)

    # -- the tools --------------------------------------------------------------------

    def _read_file(self, file_path: str) -> ToolOutcome:
        path = self.sandbox.check_path(file_path)
        opened = self._open(path, _READ, missing=f"file not found: {shown_path(path)}")
        try:
            if stat.S_ISDIR(opened.st.st_mode):
                return ToolOutcome(False, f"Error: {shown_path(path)} is a directory; use list_directory")
            size = opened.st.st_size
            data = _read_all(opened.fd, READ_CAP_BYTES)
        finally:
            os.close(opened.fd)
        if b"\x00" in data[:_BINARY_SNIFF]:
            return ToolOutcome(
                False, f"Error: {shown_path(path)} is a binary file ({size} bytes); read_file returns text only"
            )
        text = data.decode("utf-8", errors="replace")
        notes = []
        if "\ufffd" in text and "\ufffd".encode() not in data:
            notes.append("[note: the file is not valid UTF-8; undecodable bytes are shown as \ufffd]")
        if size > READ_CAP_BYTES:
            notes.append(
                f"[truncated: the file is {size} bytes; read_file returns at most {READ_CAP_BYTES} bytes]"
            )
        return ToolOutcome(True, text + ("\n" + "\n".join(notes) if notes else ""))

    def _list_directory(self, directory_path: str | None = None) -> ToolOutcome:
        path = self.sandbox.check_path(directory_path, default=".")
        opened = self._open(path, _READ, missing=f"directory not found: {shown_path(path)}")
        try:
            if not stat.S_ISDIR(opened.st.st_mode):
                return ToolOutcome(False, f"Error: {shown_path(path)} is not a directory")
            lines = []
            with os.scandir(opened.fd) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    lines.append(_entry_line(entry))
        finally:
            os.close(opened.fd)
        header = f"{opened.rel} ({len(lines)} entries)"
        return ToolOutcome(True, "\n".join([header, *lines]))

    def _write_file(self, file_path: str, content: str) -> ToolOutcome:
        path = self.sandbox.check_path(file_path)
        content, replaced = _without_surrogates(content)
        data = content.encode("utf-8")
        if len(data) > WRITE_CAP_BYTES:
            return ToolOutcome(False, f"Error: content is {len(data)} bytes; write_file accepts at most {WRITE_CAP_BYTES}")
        opened = self._open(path, _WRITE, make_parents=True)
        try:
            _write_all(opened.fd, data)
        finally:
            os.close(opened.fd)
        verb = "created" if opened.created else "overwrote"
        note = "\n" + _SURROGATE_NOTE.format(what="content") if replaced else ""
        return ToolOutcome(True, f"{verb} {opened.rel} ({len(data)} bytes){note}")

    def _get_file_info(self, file_path: str) -> ToolOutcome:
        path = self.sandbox.check_path(file_path)
        opened = self._open(path, _READ, missing=f"not found: {shown_path(path)}")
        try:
            st = opened.st
            is_dir = stat.S_ISDIR(st.st_mode)
            info: dict[str, Any] = {
                "path": opened.rel,
                "type": "directory" if is_dir else "file",
                "size_bytes": st.st_size,
                "modified": datetime.fromtimestamp(st.st_mtime, UTC).isoformat(timespec="seconds"),
            }
            if is_dir:
                info["entries"] = len(os.listdir(opened.fd))
            elif st.st_size <= READ_CAP_BYTES:
                data = _read_all(opened.fd, READ_CAP_BYTES)
                info["binary"] = b"\x00" in data[:_BINARY_SNIFF]
                if not info["binary"]:
                    info["lines"] = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        finally:
            os.close(opened.fd)
        return ToolOutcome(True, json.dumps(info))

    def _edit_file(self, file_path: str, old_str: str, new_str: str) -> ToolOutcome:
        path = self.sandbox.check_path(file_path)
        shown = shown_path(path)
        if old_str == "":
            return ToolOutcome(False, "Error: old_str must not be empty")
        old_str, old_replaced = _without_surrogates(old_str)
        new_str, new_replaced = _without_surrogates(new_str)
        try:
            opened = self._open(path, _EDIT, missing=f"file not found: {shown}")
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                return ToolOutcome(False, f"Error: {shown} is a directory; edit_file edits a file")
            raise
        try:
            size = opened.st.st_size
            if size > READ_CAP_BYTES:
                return ToolOutcome(
                    False,
                    f"Error: {shown} is {size} bytes; edit_file edits files of at most {READ_CAP_BYTES} bytes "
                    "(use write_file to replace it)",
                )
            data = _read_all(opened.fd, READ_CAP_BYTES + 1)
            if len(data) > READ_CAP_BYTES:
                return ToolOutcome(False, f"Error: {shown} grew past {READ_CAP_BYTES} bytes while being read")
            if b"\x00" in data[:_BINARY_SNIFF]:
                return ToolOutcome(False, f"Error: {shown} is a binary file")
            text = data.decode("utf-8", errors="surrogateescape")
            count, exact, starts = count_matches(text, old_str)
            if count == 0:
                return ToolOutcome(False, no_match(text, old_str, shown))
            if count > 1:
                return ToolOutcome(False, several_matches(text, count, exact, starts, shown))
            edited = text.replace(old_str, new_str, 1).encode("utf-8", errors="surrogateescape")
            if len(edited) > WRITE_CAP_BYTES:
                return ToolOutcome(
                    False, f"Error: the edited file would be {len(edited)} bytes; files are at most {WRITE_CAP_BYTES}"
                )
            _write_all(opened.fd, edited)
        finally:
            os.close(opened.fd)
        note = "\n" + _SURROGATE_NOTE.format(what="old_str/new_str") if old_replaced or new_replaced else ""
        return ToolOutcome(True, f"edited {opened.rel}: 1 match replaced{note}")

    def _open(self, path: str, flags: int, *, missing: str | None = None, make_parents: bool = False) -> Opened:
        try:
            return self.sandbox.open(path, flags, make_parents=make_parents)
        except FileNotFoundError:
            if missing is None:
                raise
            raise SandboxError(missing) from None


def _entry_line(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_symlink():
            return f"link  {'-':>9}  {entry.name}"
        if entry.is_dir(follow_symlinks=False):
            return f"dir   {'-':>9}  {entry.name}/"
        if entry.is_file(follow_symlinks=False):
            return f"file  {entry.stat(follow_symlinks=False).st_size:>9}  {entry.name}"
    except OSError:
        pass
    return f"other {'-':>9}  {entry.name}"


def _os_error(exc: OSError) -> str:
    """An OS error as the model sees it: what went wrong and the workspace-relative path."""
    what = exc.strerror or type(exc).__name__
    if exc.errno == errno.EISDIR:
        return f"Error: {shown_path(str(exc.filename))} is a directory"
    if exc.errno == errno.ENOTDIR:
        return f"Error: {shown_path(str(exc.filename))} is not a directory"
    if exc.filename is not None:
        return f"Error: {what}: {shown_path(str(exc.filename))}"
    return f"Error: {what}"
