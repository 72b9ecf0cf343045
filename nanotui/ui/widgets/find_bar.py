"""The zoomed pane's find box: a one-line input and a match counter at the pane's bottom."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static


class FindBar(Horizontal):
    """Typing looks for the text at once; enter goes to the next match and hands the keys back
    to the pane (where ``n`` and ``N`` step on); shift+enter goes to the previous one; escape
    closes the box. The pane does the finding: this widget only says what was asked."""

    DEFAULT_CSS = """
    FindBar {
        dock: bottom;
        height: 1;
        display: none;
        background: $panel;
    }
    FindBar.-open { display: block; }
    FindBar > Input {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0 1;
    }
    FindBar > #find-count {
        width: auto;
        min-width: 10;
        padding: 0 1;
        color: $text-muted;
    }
    """
    BINDINGS = [
        Binding("shift+enter", "step(-1)", "Previous match", show=False, id="find.previous"),
        Binding("escape", "close", "Close find", show=False, id="find.close"),
    ]

    class Asked(Message):
        """Find ``text``, moved on by ``step`` matches (0: where it is); ``done``: hand the
        keys back to the pane; ``closed``: the box went away."""

        def __init__(self, text: str, step: int = 0, done: bool = False, closed: bool = False) -> None:
            super().__init__()
            self.text = text
            self.step = step
            self.done = done
            self.closed = closed

    def compose(self) -> ComposeResult:
        yield Input(placeholder="find", id="find-input")
        yield Static("", id="find-count", markup=False)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def text(self) -> str:
        return self.query_one(Input).value

    def open(self) -> None:
        self.add_class("-open")
        self.query_one(Input).focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.query_one(Input).value = ""
        self.show_count(0, 0)

    def show_count(self, current: int, total: int) -> None:
        count = "" if not self.text else f"{current}/{total}" if total else "no match"
        self.query_one("#find-count", Static).update(count)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Asked(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Asked(event.value, step=1, done=True))

    def action_step(self, step: int) -> None:
        self.post_message(self.Asked(self.text, step=step, done=True))

    def action_close(self) -> None:
        self.close()
        self.post_message(self.Asked("", closed=True))
