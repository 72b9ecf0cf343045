"""The report's "Where the time went" section: a mermaid gantt of every agent's timeline (it
renders on GitHub) and a table of the seconds each spent queued, waiting, streaming, in tools."""

from __future__ import annotations

import re
from typing import Any

from nanotui.engine.agent.timeline import TIMELINE_KINDS
from nanotui.engine.report.tables import model_label, table

# A bar narrower than this share of the longest wall time cannot be seen in the chart; it is
# drawn as part of the bar before it (the JSON keeps every segment).
MIN_BAR_SHARE = 1 / 300

# mermaid gantt's four looks: grey for time not spent producing, red for retry waits.
_TAGS = {"queued": "done, ", "waiting": "done, ", "tool": "active, ", "retry": "crit, "}
_COLUMN = {"tool": "tools"}


def _name(text: str) -> str:
    # a colon, semicolon or hash would end the task's name or start an entity
    return " ".join(re.sub(r"[^A-Za-z0-9 ._()/-]+", " ", text).split()) or "agent"


def _bars(segments: list[dict[str, Any]], min_ms: int) -> list[tuple[str, str, int, int]]:
    """(label, kind, start ms, end ms) per bar; a bar too thin to see joins the one before."""
    bars: list[tuple[str, str, int, int]] = []
    for s in segments:
        start, end = round(s["start_s"] * 1000), round(s["end_s"] * 1000)
        if end <= start:
            continue
        label = s["tool"] if s["kind"] == "tool" and s["tool"] else s["kind"]
        label = f"{label} t{s['turn']}" if s["turn"] else label
        if bars and (end - start < min_ms or bars[-1][0] == label):
            bars[-1] = (*bars[-1][:3], end)
        else:
            bars.append((label, s["kind"], start, end))
    return bars


def gantt(rows: list[dict[str, Any]], agents: dict[str, dict[str, Any]]) -> list[str]:
    timed = [(row, agents[row["agent_id"]]) for row in rows if agents[row["agent_id"]].get("timeline")]
    if not timed:
        return []
    longest = max(a["timeline"][-1]["end_s"] for _, a in timed)
    min_ms = max(1, round(longest * 1000 * MIN_BAR_SHARE))
    lines = [
        "```mermaid",
        "gantt",
        "    title Where the time went (minutes:seconds from the start)",
        "    dateFormat x",
        "    axisFormat %M:%S",
    ]
    for row, agent in timed:
        lines.append(f"    section {_name(model_label(row))}")
        for i, (label, kind, start, end) in enumerate(_bars(agent["timeline"], min_ms)):
            lines.append(f"    {_name(label)} :{_TAGS.get(kind, '')}{_name(row['agent_id'])}_{i}, {start}, {end}")
    lines.append("```")
    return lines


def time_by_kind(agent: dict[str, Any]) -> dict[str, float]:
    """Seconds of the agent's wall time spent in each kind of segment."""
    spent = dict.fromkeys(TIMELINE_KINDS, 0.0)
    for s in agent.get("timeline", []):
        spent[s["kind"]] = spent.get(s["kind"], 0.0) + s["end_s"] - s["start_s"]
    return spent


def timeline_section(data: dict[str, Any]) -> list[str]:
    agents = {a["agent_id"]: a for a in data["agents"]}
    chart = gantt(data["ranking"], agents)
    if not chart:
        return []
    headers = ["Model", *(_COLUMN.get(k, k) for k in TIMELINE_KINDS), "wall"]
    rows = []
    for row in data["ranking"]:
        agent = agents[row["agent_id"]]
        if agent.get("timeline"):
            spent = time_by_kind(agent)
            rows.append([model_label(row), *(f"{spent[k]:.2f}" for k in TIMELINE_KINDS), f"{agent['wall_s']:.2f}"])
    return [
        "## Where the time went",
        "",
        "Each agent's wall time, from the moment it was queued: waiting for a slot (queued), for the "
        "first token of a request (waiting), reading the reasoning and the answer as they stream, "
        "running tools, and waiting to retry. Seconds:",
        "",
        table(headers, rows, right=set(range(1, len(headers)))),
        "",
        *chart,
    ]
