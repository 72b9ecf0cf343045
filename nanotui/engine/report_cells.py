"""Markdown building blocks of a report: table cells, numbers, dates, fences, tables, labels."""

from __future__ import annotations

import re
from typing import Any


def _cell(value: Any) -> str:
    text = "–" if value is None or value == "" else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _usd(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "$0"
    return f"${value:.4f}" if value >= 0.0001 else f"${value:.6f}"


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _date(iso: str | None) -> str:
    if not iso:
        return "–"
    return iso.replace("T", " ").replace("+00:00", " UTC")


def _fence(text: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}"


def _table(headers: list[str], rows: list[list[Any]], right: set[int] | None = None) -> str:
    right = right or set()
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _grade(g: dict[str, Any], key: str) -> str:
    value = g.get(key)
    if value is None:
        return "unscored" if key in ("performance", "overall") else "?"
    return str(value)


def _model_label(row: dict[str, Any]) -> str:
    label = row["display_name"]
    if row.get("trial"):
        label += f" #{row['trial']}"
    return label


def _anchor(row: dict[str, Any]) -> str:
    return f"{row['rank']}-{row['agent_id']}"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
