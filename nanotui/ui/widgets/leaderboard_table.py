"""The leaderboard of a suite, one row per model: rank, mean points with their 95 % interval,
passes, cost, working time, pass^k — the columns that matter first, so a narrow terminal
cuts the least important."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from nanotui.engine.numbers import secs, usd
from nanotui.engine.verdict.leaderboard import Leaderboard, ModelRow

MODEL_WIDTH = 22  # longer display names are cut with …


def mean_text(row: ModelRow) -> Text:
    if row.mean_points is None:
        return Text("–", style="dim", justify="right")
    text = Text(f"{row.mean_points:.2f}", style="bold", justify="right")
    if row.ci95 is not None:
        text.append(f" [{row.ci95[0]:.2f}–{row.ci95[1]:.2f}]", style="dim")
    return text


def pass_k_text(row: ModelRow) -> Text:
    if not row.pass_k:
        return Text("–", style="dim")
    return Text("  ".join(f"^{k} {v:.2f}" for k, v in row.pass_k.items()))


def _model(name: str) -> Text:
    return Text(name if len(name) <= MODEL_WIDTH else name[: MODEL_WIDTH - 1] + "…")


class LeaderboardTable(DataTable[Any]):
    def __init__(self, board: Leaderboard, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.board = board

    def on_mount(self) -> None:
        self.show(self.board)

    def show(self, board: Leaderboard) -> None:
        self.board = board
        self.clear(columns=True)
        trials = any(r.pass_k for r in self.board.rows)
        right: dict[str, Any] = {"justify": "right"}
        self.add_column(Text("#", **right), key="rank")
        self.add_column("Model", key="model")
        self.add_column(Text("Mean [95 % CI]", **right), key="mean")
        self.add_column(Text("Passed", **right), key="passed")
        self.add_column(Text("Cost", **right), key="cost")
        self.add_column(Text("Working", **right), key="working")
        if trials:
            self.add_column("pass^k", key="pass_k")
        for r in self.board.rows:
            cells = [
                Text(str(r.rank), **right),
                _model(r.display_name),
                mean_text(r),
                Text(f"{r.passed}/{r.attempts}", **right),
                Text(usd(r.cost_usd), **right),
                Text(secs(r.working_s) + "s", **right),
            ]
            if trials:
                cells.append(pass_k_text(r))
            self.add_row(*cells, key=r.model)
