"""One tool call in an agent pane: a compact block with the tool, its key argument, and once
it is done, ok/error and the size of the result (an error also shows its first line)."""

from __future__ import annotations

from typing import Any

from textual.markup import escape
from textual.widgets import Static

# The argument that says what a call is about, per tool (DESIGN §3's five tools).
KEY_ARGUMENT = {
    "read_file": "file_path",
    "write_file": "file_path",
    "edit_file": "file_path",
    "get_file_info": "file_path",
    "list_directory": "directory_path",
}
ARG_WIDTH = 48


def key_argument(name: str, arguments: dict[str, Any]) -> str:
    key = KEY_ARGUMENT.get(name)
    value = arguments.get(key) if key else None
    if value is None and name == "list_directory":
        value = "."
    if value is None:  # an unknown tool or a call without its main argument: show what it sent
        value = next((v for v in arguments.values() if isinstance(v, str)), "")
    text = " ".join(str(value).split())
    return text if len(text) <= ARG_WIDTH else text[: ARG_WIDTH - 1] + "…"


def human_size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def first_line(text: str, width: int = 120) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


class ToolCallBlock(Static):
    DEFAULT_CSS = """
    ToolCallBlock {
        height: auto;
        margin: 0 0 0 0;
        padding: 0 1;
        border-left: outer $secondary;
        background: $boost;
    }
    ToolCallBlock.-ok { border-left: outer $success; }
    ToolCallBlock.-error { border-left: outer $error; }
    """

    def __init__(self, call_id: str, name: str, arguments: dict[str, Any]) -> None:
        super().__init__(markup=True)
        self.call_id = call_id
        self.tool_name = name
        self.argument = key_argument(name, arguments)
        self.ok: bool | None = None  # None while the tool runs
        self.result_size = 0
        self.error_line = ""
        self.update(self._markup())

    def finish(self, ok: bool, result_size: int, result: str) -> None:
        self.ok = ok
        self.result_size = result_size
        self.error_line = "" if ok else first_line(result)
        self.set_class(ok, "-ok")
        self.set_class(not ok, "-error")
        self.update(self._markup())

    def _markup(self) -> str:
        head = f"[b]{escape(self.tool_name)}[/b] {escape(self.argument)}"
        if self.ok is None:
            return f"{head}  [dim]running…[/dim]"
        if self.ok:
            return f"{head}  [$success]✓[/] [dim]{human_size(self.result_size)}[/dim]"
        detail = f"\n[$error]{escape(self.error_line)}[/]" if self.error_line else ""
        return f"{head}  [$error]✗ error[/] [dim]{human_size(self.result_size)}[/dim]{detail}"
