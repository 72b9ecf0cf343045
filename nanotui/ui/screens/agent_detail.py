"""One agent's result in full: final answer, tool trace, files changed with their diffs,
checks, and the judge's rationale."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from nanotui.engine.numbers import count, secs, usd
from nanotui.engine.report.compare import key_argument as call_subject
from nanotui.engine.results import AgentResult
from nanotui.ui.widgets.theme_colors import theme_color

TABS = ("answer", "trace", "files", "checks", "judge")


def key_argument(name: str, arguments: dict[str, Any]) -> str:
    """What a call was about (the engine's choice, as side by side shows it), else the names
    of what it sent."""
    return call_subject(name, arguments) or ", ".join(f"{k}=…" for k in sorted(arguments))


def grade_line(grades: Any | None) -> Text:
    if grades is None:
        return Text("not graded", style="dim")
    line = Text()
    for label, value in (("performance", grades.performance), ("speed", grades.speed),
                         ("cost", grades.cost), ("overall", grades.overall)):
        line.append(f"{label} ", style="dim")
        line.append(value or "–", style="bold")
        line.append("  ")
    line.append(f"({'judge' if grades.basis == 'judge' else grades.basis})", style="dim")
    return line


def head_text(agent: AgentResult, grades: Any | None) -> Group:
    u = agent.usage
    status = agent.status + (" (stopped at max_tokens)" if agent.stop_reason == "max_tokens" else "")
    first = Text.assemble((agent.display_name, "bold"), "  ", (agent.model, "dim"), "  ", (status, "bold"))
    figures = Text(
        f"wall {secs(agent.wall_s)} s · working {secs(agent.working_s)} s · TTFT {secs(agent.ttft_s)} s · "
        f"{count(agent.turns, 'turn')} · {count(len(agent.tool_calls), 'tool call')} · "
        f"tokens in {u.input_tokens:,} (cached {u.cached_input_tokens:,}) out {u.output_tokens:,} "
        f"(reasoning {u.reasoning_tokens:,}) · cost {usd(agent.cost_usd)}"
    )
    parts: list[Any] = [first, figures, grade_line(grades)]
    if agent.error:
        parts.append(Text(f"error: {agent.error}", style="bold red"))
    return Group(*parts)


class AgentDetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("right_square_bracket", "tab(1)", "Next tab", key_display="]", id="detail.next_tab"),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", key_display="[", id="detail.prev_tab"),
    ]

    def __init__(self, agent: AgentResult, grades: Any | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agent = agent
        self.grades = grades

    def compose(self) -> ComposeResult:
        a = self.agent
        yield Header()
        yield Static(head_text(a, self.grades), id="detail-head")
        with TabbedContent(id="detail-tabs", initial="answer"):
            with TabPane("Final answer", id="answer"), VerticalScroll():
                answer = a.final_answer if a.final_answer.strip() else "(no final answer)"
                yield Static(Text(answer), id="detail-answer")
            with TabPane(f"Tool trace ({len(a.tool_calls)})", id="trace"):
                yield DataTable(id="detail-trace", cursor_type="row")
            with TabPane(f"Files changed ({len(a.files_changed)})", id="files"), VerticalScroll():
                yield Static(self._files(), id="detail-files")
            passed = sum(c.passed for c in a.checks)
            with TabPane(f"Checks ({passed}/{len(a.checks)})", id="checks"):
                yield DataTable(id="detail-checks", cursor_type="row")
            with TabPane("Judge", id="judge"), VerticalScroll():
                yield Static(self._judge(), id="detail-judge")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.agent.agent_id} · {self.agent.display_name}"
        ok, error = theme_color(self, "success"), f"bold {theme_color(self, 'error')}"
        trace = self.query_one("#detail-trace", DataTable)
        trace.add_columns("#", "Tool", "Key argument", "Result", "Size", "Preview")
        for i, call in enumerate(self.agent.tool_calls, 1):
            preview = call.result_preview.replace("\n", " ⏎ ")[:80]
            result = Text("ok", style=ok) if call.ok else Text("error", style=error)
            trace.add_row(Text(str(i), justify="right"), call.name, Text(key_argument(call.name, call.arguments)),
                          result, Text(f"{call.result_size:,}", justify="right"), Text(preview, style="dim"))
        checks = self.query_one("#detail-checks", DataTable)
        checks.add_columns("Check", "Result", "Detail")
        for c in self.agent.checks:
            mark = Text("pass", style=ok) if c.passed else Text("FAIL", style=error)
            checks.add_row(Text(c.name), mark, Text(c.detail))

    def _files(self) -> Any:
        a = self.agent
        if not a.files_changed:
            return Text("No files changed.", style="dim")
        parts: list[Any] = []
        for path in a.files_changed:
            parts.append(Text(path, style="bold underline"))
            diff = a.file_diffs.get(path)
            if diff is None:
                parts.append(Text("(no diff recorded)", style="dim"))
            elif not diff.strip():
                parts.append(Text("(no textual change)", style="dim"))
            else:
                parts.append(Syntax(diff.rstrip("\n"), "diff", theme="ansi_dark", background_color="default"))
            parts.append(Text(""))
        return Group(*parts)

    def _judge(self) -> Any:
        g = self.grades
        if g is None or (g.basis != "judge" and g.basis != "unscored"):
            basis = "the task's checks" if g is not None and g.basis == "checks" else "no judge verdict"
            return Text(f"Not judged yet — performance comes from {basis}. Press j on the results screen.",
                        style="dim")
        head = Text.assemble(("Judge's grade: ", "dim"), (g.performance or "unscored", "bold"),
                             (f"  ({g.label})" if g.label else "", "dim"))
        return Group(head, Text(""), Text(g.rationale or "(no rationale)"))

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        current = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(current + step) % len(TABS)]
