"""The five file tools every model gets, with the seed system's names and parameters.

Tool failures are results the model sees (``ok=False``), never exceptions: the run goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nanotui.engine.agent.sandbox import Sandbox, SandboxError

READ_CAP_BYTES = 512 * 1024
WRITE_CAP_BYTES = 2 * 1024 * 1024
WRITING_TOOLS = frozenset({"write_file", "edit_file"})


@dataclass(frozen=True, slots=True)
class ToolDef:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema of the arguments object


def _schema(props: dict[str, str], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "string", "description": desc} for name, desc in props.items()},
        "required": required,
        "additionalProperties": False,
    }


TOOL_DEFS: tuple[ToolDef, ...] = (
    ToolDef(
        "read_file",
        f"Read a UTF-8 text file from the workspace. Returns at most {READ_CAP_BYTES} bytes.",
        _schema({"file_path": "Path relative to the workspace root."}, ["file_path"]),
    ),
    ToolDef(
        "list_directory",
        "List a directory of the workspace, sorted, with each entry's type and size.",
        _schema({"directory_path": "Path relative to the workspace root; defaults to the root."}, []),
    ),
    ToolDef(
        "write_file",
        "Create or overwrite a text file in the workspace; parent folders are created.",
        _schema(
            {"file_path": "Path relative to the workspace root.", "content": "The full new file content."},
            ["file_path", "content"],
        ),
    ),
    ToolDef(
        "get_file_info",
        "Return JSON metadata for a file or directory: type, size in bytes, modified time, line count.",
        _schema({"file_path": "Path relative to the workspace root."}, ["file_path"]),
    ),
    ToolDef(
        "edit_file",
        "Replace old_str with new_str in a file. old_str must occur exactly once.",
        _schema(
            {
                "file_path": "Path relative to the workspace root.",
                "old_str": "Exact text to replace; must match exactly once.",
                "new_str": "Replacement text.",
            },
            ["file_path", "old_str", "new_str"],
        ),
    ),
)
TOOL_NAMES = tuple(t.name for t in TOOL_DEFS)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    ok: bool
    content: str


class ToolBox:
    """Runs the five tools against one agent's sandbox."""

    def __init__(self, sandbox: Sandbox, *, read_only: bool = False) -> None:
        self.sandbox = sandbox
        self.read_only = read_only

    def call(self, name: str, arguments: dict[str, Any] | None) -> ToolOutcome:
        if name not in TOOL_NAMES:
            return ToolOutcome(False, f"Error: unknown tool {name!r}; available tools: {', '.join(TOOL_NAMES)}")
        if arguments is None:
            return ToolOutcome(False, f"Error: arguments for {name} are not a valid JSON object")
        if self.read_only and name in WRITING_TOOLS:
            return ToolOutcome(False, f"Error: {name} is disabled: this task is read-only")
        spec = next(t for t in TOOL_DEFS if t.name == name)
        allowed = set(spec.parameters["properties"])
        unknown = sorted(set(arguments) - allowed)
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
            return outcome
        except SandboxError as exc:
            return ToolOutcome(False, f"Error: {exc}")
        except OSError as exc:
            return ToolOutcome(False, f"Error: {exc.strerror or exc.__class__.__name__}")

    # -- the tools --------------------------------------------------------------------

    def _read_file(self, file_path: str) -> ToolOutcome:
        real = self.sandbox.resolve(file_path)
        if not real.exists():
            return ToolOutcome(False, f"Error: file not found: {file_path}")
        if real.is_dir():
            return ToolOutcome(False, f"Error: {file_path} is a directory; use list_directory")
        size = real.stat().st_size
        with real.open("rb") as fh:
            data = fh.read(READ_CAP_BYTES)
        if b"\x00" in data[:8192]:
            return ToolOutcome(False, f"Error: {file_path} is a binary file ({size} bytes); read_file returns text only")
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
        real = self.sandbox.resolve(directory_path, default=".")
        if not real.exists():
            return ToolOutcome(False, f"Error: directory not found: {directory_path}")
        if not real.is_dir():
            return ToolOutcome(False, f"Error: {directory_path} is not a directory")
        lines = []
        for entry in sorted(real.iterdir(), key=lambda p: p.name):
            if entry.is_symlink():
                lines.append(f"link  {'-':>9}  {entry.name}")
            elif entry.is_dir():
                lines.append(f"dir   {'-':>9}  {entry.name}/")
            elif entry.is_file():
                lines.append(f"file  {entry.stat().st_size:>9}  {entry.name}")
            else:
                lines.append(f"other {'-':>9}  {entry.name}")
        header = f"{self.sandbox.relative(real)} ({len(lines)} entries)"
        return ToolOutcome(True, "\n".join([header, *lines]))

    def _write_file(self, file_path: str, content: str) -> ToolOutcome:
        real = self.sandbox.resolve(file_path)
        if real.is_dir():
            return ToolOutcome(False, f"Error: {file_path} is a directory")
        data = content.encode("utf-8")
        if len(data) > WRITE_CAP_BYTES:
            return ToolOutcome(False, f"Error: content is {len(data)} bytes; write_file accepts at most {WRITE_CAP_BYTES}")
        real.parent.mkdir(parents=True, exist_ok=True)
        # Resolve again: a parent created just now cannot be a link, but an existing one could.
        self.sandbox.resolve(file_path)
        existed = real.exists()
        real.write_bytes(data)
        verb = "overwrote" if existed else "created"
        return ToolOutcome(True, f"{verb} {self.sandbox.relative(real)} ({len(data)} bytes)")

    def _get_file_info(self, file_path: str) -> ToolOutcome:
        real = self.sandbox.resolve(file_path)
        if not real.exists():
            return ToolOutcome(False, f"Error: not found: {file_path}")
        st = real.stat()
        info: dict[str, Any] = {
            "path": self.sandbox.relative(real),
            "type": "directory" if real.is_dir() else "file",
            "size_bytes": st.st_size,
            "modified": datetime.fromtimestamp(st.st_mtime, UTC).isoformat(timespec="seconds"),
        }
        if real.is_file() and st.st_size <= READ_CAP_BYTES:
            data = real.read_bytes()
            info["binary"] = b"\x00" in data[:8192]
            if not info["binary"]:
                info["lines"] = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        elif real.is_dir():
            info["entries"] = sum(1 for _ in real.iterdir())
        return ToolOutcome(True, json.dumps(info))

    def _edit_file(self, file_path: str, old_str: str, new_str: str) -> ToolOutcome:
        real = self.sandbox.resolve(file_path)
        if not real.is_file():
            return ToolOutcome(False, f"Error: file not found: {file_path}")
        if old_str == "":
            return ToolOutcome(False, "Error: old_str must not be empty")
        data = real.read_bytes()
        if b"\x00" in data[:8192]:
            return ToolOutcome(False, f"Error: {file_path} is a binary file")
        text = data.decode("utf-8", errors="surrogateescape")
        count = text.count(old_str)
        if count != 1:
            return ToolOutcome(
                False,
                f"Error: old_str must match exactly once in {file_path}, found {count} matches",
            )
        real.write_bytes(text.replace(old_str, new_str, 1).encode("utf-8", errors="surrogateescape"))
        return ToolOutcome(True, f"edited {self.sandbox.relative(real)}: 1 match replaced")
