"""The report's "Quality versus cost" section: quadrant chart, trade-off table, cheapest and fastest."""

from __future__ import annotations

import math
import re
from typing import Any

from nanotui.engine.numbers import secs, usd
from nanotui.engine.report.tables import NONE, UNKNOWN, table
from nanotui.engine.verdict.grading import COST_FLOOR_USD, PASS_GRADE


def _point_name(text: str, taken: set[str]) -> str:
    # mermaid cannot take brackets in a point's name: "gpt-oss 20b (Ollama)" -> "gpt-oss 20b - Ollama"
    name = re.sub(r"\s*\(([^()]*)\)", r" - \1", text)
    name = " ".join(re.sub(r"[^A-Za-z0-9 ._-]+", " ", name).split()) or "model"
    base, n = name, 2
    while name in taken:
        name, n = f"{base} {n}", n + 1
    taken.add(name)
    return name


def quadrant(models: list[dict[str, Any]]) -> list[str]:
    points = [m for m in models if m["mean_performance_points"] is not None and m["median_cost_usd"] is not None]
    if len(points) < 1:
        return []
    logs = [math.log10(m["median_cost_usd"] + COST_FLOOR_USD) for m in points]
    lo, hi = min(logs), max(logs)
    lines = [
        "```mermaid",
        "quadrantChart",
        "    title Quality versus cost (cost on a log scale)",
        "    x-axis Cheaper --> Costlier",
        "    y-axis Weaker --> Stronger",
        "    quadrant-1 Strong but costly",
        "    quadrant-2 Strong and cheap",
        "    quadrant-3 Weak and cheap",
        "    quadrant-4 Weak and costly",
    ]
    taken: set[str] = set()
    for m, x_log in zip(points, logs):
        x = 0.5 if hi == lo else 0.05 + 0.9 * (x_log - lo) / (hi - lo)
        y = 0.05 + 0.9 * m["mean_performance_points"] / 5
        lines.append(f"    {_point_name(m['display_name'], taken)}: [{x:.3f}, {y:.3f}]")
    lines.append("```")
    return lines


def _tradeoff_table(advice: dict[str, Any]) -> str:
    reasons = advice.get("pareto_reasons", {})
    rows = []
    for m in advice["models"]:
        reached = f"{m['reached_a']}/{m['attempts']}"
        mean = m["mean_performance_points"]
        quality = "unscored" if m["quality"] is None else f"{m['quality']} ({mean:.1f}, {m.get('quality_basis', '?')})"
        rows.append([
            f"{m['display_name']} (`{m['model']}`)", quality, reached,
            usd(m["median_cost_usd"], UNKNOWN), secs(m["median_wall_s"], NONE), reasons.get(m["model"], ""),
        ])
    rows.sort(key=lambda r: (r[5] == "", r[0]))
    return table(["Model", "Quality (mean, basis)", f"Reached {PASS_GRADE}+", "Median cost", "Median wall s",
                   "On the Pareto front because"], rows, right={2, 3, 4})


def _advice_lines(advice: dict[str, Any]) -> list[str]:
    names = {m["model"]: f"{m['display_name']} (`{m['model']}`)" for m in advice["models"]}
    stats = {m["model"]: m for m in advice["models"]}
    out = []
    for role, none in (("cheapest", "none (with a known price)"), ("fastest", "none")):
        model = advice[role]
        if model:
            m = stats[model]
            figure = usd(m["median_cost_usd"], UNKNOWN) if role == "cheapest" else f"{secs(m['median_wall_s'], NONE)} s"
            found = f"{names[model]}, median {figure}"
        out.append(f"- **{role.capitalize()}** model reaching {PASS_GRADE} or better: {found if model else none}.")
    return out


def quality_vs_cost(data: dict[str, Any]) -> list[str]:
    advice = data["quality_vs_cost"]
    lines = ["## Quality versus cost", ""]
    chart = quadrant(advice["models"])
    if chart:
        lines += chart + [""]
    lines += [
        "The Pareto front holds the models no other model beats on quality, cost and wall time at once "
        "(a model graded F is never on it).",
        "",
        _tradeoff_table(advice),
        "",
        *_advice_lines(advice),
    ]
    hist = data["history"]
    if hist is not None:
        lines += [
            "",
            f"### Across {len(hist['runs'])} stored runs of this task",
            "",
            f"Every attempt up to this run, pooled per model. A model counts as reaching {PASS_GRADE} or better "
            "when at least half of its attempts did.",
            "",
            *_advice_lines(hist),
            "",
            _tradeoff_table(hist),
        ]
    return lines
