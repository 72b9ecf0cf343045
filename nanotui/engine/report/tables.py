"""Markdown building blocks of a report: table cells, dates, fences, tables, labels."""

from __future__ import annotations

import re
from typing import Any

NONE = "–"  # an empty table cell, or a figure that was not measured
UNKNOWN = "unknown"  # a cost whose price is not known


def cell(value: Any) -> str:
    text = "–" if value is None or value == "" else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def date_text(iso: str | None) -> str:
    if not iso:
        return "–"
    return iso.replace("T", " ").replace("+00:00", " UTC")


def fence(text: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}"


def table(headers: list[str], rows: list[list[Any]], right: set[int] | None = None) -> str:
    right = right or set()
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def grade_text(g: dict[str, Any], key: str) -> str:
    value = g.get(key)
    if value is None:
        return "unscored" if key in ("performance", "overall") else "?"
    return str(value)


def model_label(row: dict[str, Any]) -> str:
    label: str = row["display_name"]
    if row.get("trial"):
        label += f" #{row['trial']}"
    return label


def anchor(row: dict[str, Any]) -> str:
    return f"{row['rank']}-{row['agent_id']}"


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
