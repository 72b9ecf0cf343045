"""The five file tools as the models are offered them: names, descriptions, argument schemas
and the size caps the descriptions promise. ``tools.py`` runs them; the task format, the
providers and the judge need only these declarations (and so do not import the sandbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
