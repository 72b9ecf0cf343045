"""The markdown report: its sections (header, ranking, trials, each model, judge, method) in order."""

from __future__ import annotations

import json
from typing import Any

from nanotui.engine.numbers import secs, usd
from nanotui.engine.report.judge import judge_section
from nanotui.engine.report.tables import (
    NONE,
    UNKNOWN,
    anchor,
    cell,
    date_text,
    fence,
    grade_text,
    html_escape,
    model_label,
    table,
)
from nanotui.engine.report.timeline import timeline_section
from nanotui.engine.report.tradeoffs import quality_vs_cost
from nanotui.engine.secrets import redact
from nanotui.engine.verdict.grading import PASS_GRADE

TRACE_ROWS_CAP = 100


def _header(data: dict[str, Any]) -> list[str]:
    run = data["run"]
    task = run["task"]
    title = task["title"] or task["id"] or "ad-hoc prompt"
    v = data["versions"]
    sdks = ", ".join(f"{k} {v[k]}" for k in ("openai", "anthropic", "ollama", "xllamacpp") if k in v)
    judge = data["judge"]
    if judge is None:
        judge_text = "none"
    else:
        judge_text = f"`{judge['judge']}` ({judge['status']})"
    task_text = f"`{task['id']}` — {task['title'] or ''}".rstrip(" —") if task["id"] else "ad-hoc prompt"
    models = ", ".join(f"{m['display_name']} (`{m['model']}`)" for m in data["models"])
    status = run["status"] + (" (cut short: agents that had not finished are shown as cancelled)"
                              if run["interrupted"] else "")
    rows = [
        ["Run", f"`{run['run_id']}`"],
        ["Task", task_text],
        ["Date", date_text(run["started_at"])],
        ["Status", status],
        ["Models", models],
    ]
    if run["trials"] > 1:
        rows.append(["Trials", f"{run['trials']} per model"])
    rows += [
        ["Judge", judge_text],
        ["nanotui", f"{v.get('nanotui', '?')} (Python {v.get('python', '?')}; {sdks})"],
        ["Price source", data["price_source"] or "unknown"],
    ]
    return [f"# nanotui report: {title}", "", table(["", ""], rows), "", f"> Grades: {data['grading_note']}."]


def _ranking(data: dict[str, Any]) -> list[str]:
    headers = ["#", "Model", "Perf", "Speed", "Cost", "Overall", "Status", "Checks", "Wall s", "Work s",
               "TTFT s", "Tokens in / out", "Cost USD"]
    rows = []
    for r in data["ranking"]:
        g = r["grades"]
        basis = g["performance_basis"]
        perf = grade_text(g, "performance") + (" (checks)" if basis["source"] == "checks" else "")
        perf += " ⚑capped" if basis["capped_by_checks"] else ""
        perf += " ⚑order" if basis["position_consistent"] is False else ""
        checks = f"{r['checks_passed']}/{r['checks_total']}" if r["checks_total"] else "–"
        rows.append([
            r["rank"], f"[{model_label(r)}](#{anchor(r)})", perf, grade_text(g, "speed"), grade_text(g, "cost"),
            f"**{grade_text(g, 'overall')}**", r["status"], checks, secs(r["wall_s"], NONE),
            secs(r.get("working_s"), NONE), secs(r["ttft_s"], NONE), f"{r['input_tokens']:,} / {r['output_tokens']:,}", usd(r["cost_usd"], UNKNOWN),
        ])
    return ["## Ranking", "", table(headers, rows, right={0, 8, 9, 10, 11, 12})]


def _trials(data: dict[str, Any]) -> list[str]:
    if not data["trials"]:
        return []
    n = data["run"]["trials"]
    rows = []
    for t in data["trials"]:
        cost = t["cost_usd"]
        rows.append([
            f"{t['display_name']} (`{t['model']}`)", f"{t['passes']}/{t['trials']}",
            f"{t['pass_hat_1']:.2f}", f"{t[f'pass_hat_{n}']:.2f}",
            secs(t["wall_s"]["mean"], NONE), secs(t["wall_s"]["min"], NONE), secs(t["wall_s"]["max"], NONE),
            usd(cost["mean"], UNKNOWN) if cost else "unknown", usd(cost["min"], UNKNOWN) if cost else "unknown",
            usd(cost["max"], UNKNOWN) if cost else "unknown",
        ])
    return [
        "## Trials",
        "",
        f"Each model ran {n} times. A trial passes at performance {PASS_GRADE} or better; pass^k is the chance "
        f"that k trials drawn from the {n} all pass.",
        "",
        table(["Model", "Passed", "pass^1", f"pass^{n}", "Wall mean", "Wall min", "Wall max", "Cost mean",
                "Cost min", "Cost max"], rows, right=set(range(1, 10))),
    ]


def _trace_rows(agent: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for i, call in enumerate(agent["tool_calls"][:TRACE_ROWS_CAP]):
        args = ", ".join(
            f"{k}={json.dumps(v if not isinstance(v, str) or len(v) <= 60 else v[:40] + '…', ensure_ascii=False)}"
            for k, v in sorted(call["arguments"].items())
        )
        outcome = f"ok, {call['result_size']:,} chars" if call["ok"] else f"error: {call['result_preview'][:100]}"
        rows.append([i + 1, f"`{call['name']}`", args, outcome])
    return rows


METRIC_LABELS = (
    ("load_s", "model load {:.2f} s (part of the wall time)"),
    ("prompt_tokens_per_s", "prompt {:.1f} tok/s"),
    ("gen_tokens_per_s", "generation {:.1f} tok/s"),
)


def measured(agent: dict[str, Any]) -> list[str]:
    """Provider-measured figures (local and Ollama models) and time lost to the queue and to
    retries (both part of the wall time, neither of the working time)."""
    metrics = agent.get("metrics") or {}
    out = [label.format(metrics[key]) for key, label in METRIC_LABELS if key in metrics]
    waits = []
    if agent.get("queue_s"):
        waits.append(f"waited {agent['queue_s']:.2f} s in the queue")
    if agent.get("retry_wait_s"):
        waits.append(f"waited {agent['retry_wait_s']:.2f} s to retry")
    if waits:
        out.append(", ".join(waits) + f", working {agent['working_s']:.2f} s")
    return out


def _agent_section(row: dict[str, Any], agent: dict[str, Any]) -> list[str]:
    g = agent["grades"]
    head = f"### {row['rank']}. {model_label(row)}"
    lines = [f'<a id="{anchor(row)}"></a>', "", head, ""]
    facts = [f"`{agent['model']}`", f"agent `{agent['agent_id']}`", f"status **{agent['status']}**"]
    if agent["emulated_tools"]:
        facts.append("**emulated tools** (JSON actions, not native tool calls)")
    if agent["stop_reason"] == "max_tokens":
        facts.append("stopped at max_tokens")
    lines.append(" · ".join(facts))
    lines.append("")
    basis = {"judge": "judge", "checks": "checks only", "status": "did not finish", "unscored": "judge: unscored",
             "cancelled": "cancelled, not graded", "none": "no judge, no checks"}[g["performance_basis"]["source"]]
    if g["performance_basis"]["cap"]:
        basis += f"; capped by checks: {g['performance_basis']['cap']}"
    if g["performance_basis"]["position_consistent"] is False:
        basis += "; graded differently when the order was swapped"
    lines.append(f"Performance **{grade_text(g, 'performance')}** ({basis}) · Speed **{grade_text(g, 'speed')}** · "
                 f"Cost **{grade_text(g, 'cost')}** · Overall **{grade_text(g, 'overall')}**")
    lines.append("")
    lines.append(f"Wall {secs(agent['wall_s'], NONE)} s · TTFT {secs(agent['ttft_s'], NONE)} s · {agent['turns']} turn(s) · "
                 f"{agent['usage']['input_tokens']:,} in ({agent['usage']['cached_input_tokens']:,} cached) / "
                 f"{agent['usage']['output_tokens']:,} out ({agent['usage']['reasoning_tokens']:,} reasoning) · "
                 f"{usd(agent['cost_usd'], UNKNOWN)}"
                 + (f" · {agent['retries']} retr{'y' if agent['retries'] == 1 else 'ies'}" if agent["retries"] else ""))
    figures = measured(agent)
    if figures:
        lines += ["", " · ".join(figures)]
    if g["rationale"]:
        who = f"Judge ({g['judge_label']})" if g.get("judge_label") else "Note"
        lines += ["", f"> **{who}:** {g['rationale']}"]
    if agent["error"]:
        lines += ["", f"**Error:** {cell(agent['error'])}"]
    if agent["checks"]:
        passed = sum(c["passed"] for c in agent["checks"])
        lines += ["", f"**Checks** ({passed}/{len(agent['checks'])} passed)", ""]
        lines += [f"- {'✅' if c['passed'] else '❌'} {c['name']}" + (f" — {cell(c['detail'])}" if c["detail"] else "")
                  for c in agent["checks"]]
    lines += ["", "**Final answer**", ""]
    lines.append(fence(agent["final_answer"], "text") if agent["final_answer"].strip() else "_(no answer)_")
    if agent["tool_calls"]:
        lines += ["", f"**Tool trace** ({len(agent['tool_calls'])} call(s))", ""]
        lines.append(table(["#", "Tool", "Arguments", "Result"], _trace_rows(agent), right={0}))
        if len(agent["tool_calls"]) > TRACE_ROWS_CAP:
            lines.append(f"\n_{len(agent['tool_calls']) - TRACE_ROWS_CAP} more call(s) in the JSON report._")
    if agent["files_changed"]:
        lines += ["", f"**Files changed** ({len(agent['files_changed'])})", ""]
        for path in sorted(agent["files_changed"]):
            diff = agent["file_diffs"].get(path, "")
            lines += [f"<details><summary><code>{html_escape(path)}</code></summary>", "",
                      fence(diff, "diff") if diff else "_(no diff recorded)_", "", "</details>", ""]
        lines.pop()
    return lines


def _method(data: dict[str, Any]) -> list[str]:
    m = data["method"]
    g = m["grading"]
    limits = m["limits"]
    limit_rows = [[k, "none" if v is None else v] for k, v in limits.items()]
    tools = ", ".join(f"`{t['name']}({', '.join(t['parameters'])})`" for t in m["tools"])
    steps = ", ".join(f"r ≤ {limit:g} → {grade}" for limit, grade in g["ratio_steps"] if limit is not None)
    weights = ", ".join(f"{k} {v:g}" for k, v in g["weights"].items())
    lines = [
        "## Method",
        "",
        "Every model ran the same agent loop with the same system prompt, the same five file tools "
        f"({tools}) and a private copy of the same workspace"
        + (f" (`{m['workspace']}`" + (", read-only" if m["read_only"] else "") + ")" if m["workspace"] else "")
        + ".",
        "",
        table(["Limit", "Value"], limit_rows),
        "",
        "**Grading.** Performance: " + g["performance"] + ". Speed and cost: " + g["speed_and_cost"]
        + f", with floors of {g['speed_floor_s']:g} s and ${g['cost_floor_usd']:g}; {steps}, otherwise F. "
        + f"Overall: {g['overall']} (weights: {weights}). Ranking: {g['ranking']}.",
        "",
    ]
    if m["variables"]:
        lines += [table(["Variable", "Value"], [[k, v] for k, v in m["variables"].items()]), ""]
    lines += ["<details><summary>System prompt</summary>", "", fence(m["system_prompt"] or "(not recorded)", "text"),
              "", "</details>"]
    if m["rubric"]:
        lines += ["", "<details><summary>Rubric given to the judge</summary>", "", fence(m["rubric"], "text"), "",
                  "</details>"]
    task = data["run"]["task"]
    lines += ["", "<details><summary>Task prompt</summary>", "", fence(task["prompt"], "text"), "", "</details>"]
    return lines


def render_markdown(data: dict[str, Any]) -> str:
    by_id = {a["agent_id"]: a for a in data["agents"]}
    parts: list[str] = []
    parts += _header(data) + [""]
    parts += _ranking(data) + [""]
    parts += quality_vs_cost(data) + [""]
    timeline = timeline_section(data)
    if timeline:
        parts += timeline + [""]
    trials = _trials(data)
    if trials:
        parts += trials + [""]
    parts += ["## Models", ""]
    for row in data["ranking"]:
        parts += _agent_section(row, by_id[row["agent_id"]]) + [""]
    parts += judge_section(data) + [""]
    parts += _method(data)
    return redact("\n".join(parts).rstrip("\n") + "\n")
