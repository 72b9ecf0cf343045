"""Reports of a stored run: markdown that reads well on GitHub, and JSON with the same data.

Everything comes from the history (the run, its latest verdict, earlier runs of the same
task), nothing from "now", and everything is sorted, so regenerating a report gives the
same bytes. Secrets are masked once more on the way out.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from nanotui.engine.advisor import Advice, advise, advice_for_task
from nanotui.engine.grading import (
    COST_FLOOR_USD,
    PASS_GRADE,
    RATIO_STEPS,
    SPEED_FLOOR_S,
    WEIGHTS,
    AgentGrades,
    grade_run,
    grading_note,
)
from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.secrets import redact
from nanotui.engine.trials import trial_stats

if TYPE_CHECKING:
    from nanotui.engine.judge import Verdict
    from nanotui.engine.store import RunStore

REPORT_FORMAT = "nanotui-report/1"
FORMATS = ("md", "json")
TRACE_ROWS_CAP = 100


# -- the data -------------------------------------------------------------------------------


def grading_method() -> dict[str, Any]:
    return {
        "grades": "S A B C D F (S best); points S=5 A=4 B=3 C=2 D=1 F=0",
        "performance": "the judge's grade; without a judge, the task's checks: all pass A, none F, "
        "otherwise round(4 x share passed) kept within D..B; an agent with no checks that did not "
        "finish is F; an agent cancelled by the user is not graded",
        "speed_and_cost": "ratio r = (x + floor) / (best + floor) against the best contender of the run "
        "(agents whose performance is not F)",
        "ratio_steps": [[limit, grade] for limit, grade in RATIO_STEPS] + [[None, "F"]],
        "speed_floor_s": SPEED_FLOOR_S,
        "cost_floor_usd": COST_FLOOR_USD,
        "weights": dict(WEIGHTS),
        "overall": "weighted mean of the points (an unknown cost drops out), rounded half up, never above "
        "performance; F performance is F overall",
        "ranking": "overall grade, then wall time, then cost",
        "pass": f"performance {PASS_GRADE} or better",
    }


def _agent_row(agent: AgentResult, g: AgentGrades, trial: int | None) -> dict[str, Any]:
    u = agent.usage
    return {
        "rank": g.rank,
        "agent_id": agent.agent_id,
        "model": agent.model,
        "display_name": agent.display_name,
        "trial": trial,
        "status": agent.status,
        "grades": g.to_dict(),
        "wall_s": round(agent.wall_s, 3),
        "ttft_s": None if agent.ttft_s is None else round(agent.ttft_s, 3),
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "reasoning_tokens": u.reasoning_tokens,
        "cost_usd": agent.cost_usd,
        "checks_passed": sum(c.passed for c in agent.checks),
        "checks_total": len(agent.checks),
    }


def build_report(run: RunResult, verdict: Verdict | None = None, history: Advice | None = None) -> dict[str, Any]:
    """The report's data; ``history`` is the advisor's view over the task's stored runs."""
    grades = grade_run(run, verdict)
    by_id = {a.agent_id: a for a in run.agents}
    extra = run.extra
    plan = extra.get("plan", {})
    trials_of = extra.get("trials", {})
    trials = int(plan.get("trials") or 1)
    versions = dict(sorted(extra.get("versions", {}).items()))
    models = []
    for a in run.agents:
        if not any(m["model"] == a.model for m in models):
            models.append({"model": a.model, "display_name": a.display_name})
    ranking = [_agent_row(by_id[g.agent_id], g, trials_of.get(g.agent_id) if trials > 1 else None) for g in grades]
    agents = []
    for g in grades:
        data = by_id[g.agent_id].to_dict()
        data["grades"] = g.to_dict()
        data["file_diffs"] = dict(sorted(data["file_diffs"].items()))
        agents.append(data)
    this_run = advise([(run, grades)])
    from nanotui.engine.tools import TOOL_DEFS

    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "run": {
            "run_id": run.run_id,
            "task": run.task.to_dict(),
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "status": extra.get("status", "interrupted" if run.interrupted else "finished"),
            "interrupted": run.interrupted,
            "trials": trials,
        },
        "models": models,
        "versions": versions,
        "price_source": versions.get("price_data"),
        "grading_note": grading_note(grades),
        "judge": verdict.to_dict() if verdict is not None else None,
        "ranking": ranking,
        "quality_vs_cost": this_run.to_dict(),
        "history": history.to_dict() if history is not None and len(history.runs) > 1 else None,
        "trials": [t.to_dict() for t in trial_stats(run, grades)] if trials > 1 else None,
        "agents": agents,
        "method": {
            "system_prompt": plan.get("system_prompt"),
            "limits": plan.get("limits", {}),
            "tools": [{"name": t.name, "parameters": list(t.parameters.get("properties", {}))} for t in TOOL_DEFS],
            "rubric": plan.get("rubric"),
            "variables": plan.get("variables", {}),
            "workspace": plan.get("workspace"),
            "read_only": plan.get("read_only", False),
            "grading": grading_method(),
        },
    }
    return report


def report_for_run(store: RunStore, run_id: str, fmt: str = "md") -> str:
    run = store.load_run(run_id)
    data = build_report(run, store.latest_verdict(run.run_id), advice_for_task(store, run.run_id))
    return render(data, fmt)


def render(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return render_json(data)
    if fmt == "md":
        return render_markdown(data)
    raise ValueError(f"unknown report format {fmt!r}")


def render_json(data: dict[str, Any]) -> str:
    return redact(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


# -- markdown -------------------------------------------------------------------------------


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
        ["Date", _date(run["started_at"])],
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
    return [f"# nanotui report: {title}", "", _table(["", ""], rows), "", f"> Grades: {data['grading_note']}."]


def _ranking(data: dict[str, Any]) -> list[str]:
    headers = ["#", "Model", "Perf", "Speed", "Cost", "Overall", "Status", "Checks", "Wall s", "TTFT s",
               "Tokens in / out", "Cost USD"]
    rows = []
    for r in data["ranking"]:
        g = r["grades"]
        perf = _grade(g, "performance") + (" (checks)" if g["performance_basis"] == "checks" else "")
        checks = f"{r['checks_passed']}/{r['checks_total']}" if r["checks_total"] else "–"
        rows.append([
            r["rank"], f"[{_model_label(r)}](#{_anchor(r)})", perf, _grade(g, "speed"), _grade(g, "cost"),
            f"**{_grade(g, 'overall')}**", r["status"], checks, _secs(r["wall_s"]), _secs(r["ttft_s"]),
            f"{r['input_tokens']:,} / {r['output_tokens']:,}", _usd(r["cost_usd"]),
        ])
    return ["## Ranking", "", _table(headers, rows, right={0, 8, 9, 10, 11})]


def _point_name(text: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9 ._-]+", " ", text).strip() or "model"
    base, n = name, 2
    while name in taken:
        name, n = f"{base} {n}", n + 1
    taken.add(name)
    return name


def _quadrant(models: list[dict[str, Any]]) -> list[str]:
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
    front = set(advice["pareto_front"])
    rows = []
    for m in advice["models"]:
        reached = f"{m['reached_a']}/{m['attempts']}"
        rows.append([
            f"{m['display_name']} (`{m['model']}`)", m["quality"] or "unscored", reached,
            _usd(m["median_cost_usd"]), _secs(m["median_wall_s"]), "yes" if m["model"] in front else "",
        ])
    rows.sort(key=lambda r: (r[5] != "yes", r[0]))
    return _table(["Model", "Quality (mean)", f"Reached {PASS_GRADE}+", "Median cost", "Median wall s",
                   "Pareto front"], rows, right={2, 3, 4})


def _advice_lines(advice: dict[str, Any]) -> list[str]:
    names = {m["model"]: f"{m['display_name']} (`{m['model']}`)" for m in advice["models"]}
    stats = {m["model"]: m for m in advice["models"]}
    out = []
    if advice["cheapest"]:
        m = stats[advice["cheapest"]]
        out.append(f"- **Cheapest** model reaching {PASS_GRADE} or better: {names[m['model']]}, "
                   f"median {_usd(m['median_cost_usd'])}.")
    else:
        out.append(f"- **Cheapest** model reaching {PASS_GRADE} or better: none (with a known price).")
    if advice["fastest"]:
        m = stats[advice["fastest"]]
        out.append(f"- **Fastest** model reaching {PASS_GRADE} or better: {names[m['model']]}, "
                   f"median {_secs(m['median_wall_s'])} s.")
    else:
        out.append(f"- **Fastest** model reaching {PASS_GRADE} or better: none.")
    return out


def _quality_vs_cost(data: dict[str, Any]) -> list[str]:
    advice = data["quality_vs_cost"]
    lines = ["## Quality versus cost", ""]
    chart = _quadrant(advice["models"])
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
            _secs(t["wall_s"]["mean"]), _secs(t["wall_s"]["min"]), _secs(t["wall_s"]["max"]),
            _usd(cost["mean"]) if cost else "unknown", _usd(cost["min"]) if cost else "unknown",
            _usd(cost["max"]) if cost else "unknown",
        ])
    return [
        "## Trials",
        "",
        f"Each model ran {n} times. A trial passes at performance {PASS_GRADE} or better; pass^k is the chance "
        f"that k trials drawn from the {n} all pass.",
        "",
        _table(["Model", "Passed", "pass^1", f"pass^{n}", "Wall mean", "Wall min", "Wall max", "Cost mean",
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


def _measured(agent: dict[str, Any]) -> list[str]:
    """Provider-measured figures (local and Ollama models) and time lost to retries."""
    metrics = agent.get("metrics") or {}
    out = [label.format(metrics[key]) for key, label in METRIC_LABELS if key in metrics]
    if agent.get("retry_wait_s"):
        out.append(f"waited {agent['retry_wait_s']:.2f} s to retry, working {agent['working_s']:.2f} s")
    return out


def _agent_section(row: dict[str, Any], agent: dict[str, Any]) -> list[str]:
    g = agent["grades"]
    head = f"### {row['rank']}. {_model_label(row)}"
    lines = [f'<a id="{_anchor(row)}"></a>', "", head, ""]
    facts = [f"`{agent['model']}`", f"agent `{agent['agent_id']}`", f"status **{agent['status']}**"]
    if agent["emulated_tools"]:
        facts.append("**emulated tools** (JSON actions, not native tool calls)")
    if agent["stop_reason"] == "max_tokens":
        facts.append("stopped at max_tokens")
    lines.append(" · ".join(facts))
    lines.append("")
    basis = {"judge": "judge", "checks": "checks only", "status": "did not finish", "unscored": "judge: unscored",
             "cancelled": "cancelled, not graded", "none": "no judge, no checks"}[g["performance_basis"]]
    lines.append(f"Performance **{_grade(g, 'performance')}** ({basis}) · Speed **{_grade(g, 'speed')}** · "
                 f"Cost **{_grade(g, 'cost')}** · Overall **{_grade(g, 'overall')}**")
    lines.append("")
    lines.append(f"Wall {_secs(agent['wall_s'])} s · TTFT {_secs(agent['ttft_s'])} s · {agent['turns']} turn(s) · "
                 f"{agent['usage']['input_tokens']:,} in ({agent['usage']['cached_input_tokens']:,} cached) / "
                 f"{agent['usage']['output_tokens']:,} out ({agent['usage']['reasoning_tokens']:,} reasoning) · "
                 f"{_usd(agent['cost_usd'])}"
                 + (f" · {agent['retries']} retr{'y' if agent['retries'] == 1 else 'ies'}" if agent["retries"] else ""))
    measured = _measured(agent)
    if measured:
        lines += ["", " · ".join(measured)]
    if g["rationale"]:
        who = f"Judge ({g['judge_label']})" if g.get("judge_label") else "Note"
        lines += ["", f"> **{who}:** {g['rationale']}"]
    if agent["error"]:
        lines += ["", f"**Error:** {_cell(agent['error'])}"]
    if agent["checks"]:
        passed = sum(c["passed"] for c in agent["checks"])
        lines += ["", f"**Checks** ({passed}/{len(agent['checks'])} passed)", ""]
        lines += [f"- {'✅' if c['passed'] else '❌'} {c['name']}" + (f" — {_cell(c['detail'])}" if c["detail"] else "")
                  for c in agent["checks"]]
    lines += ["", "**Final answer**", ""]
    lines.append(_fence(agent["final_answer"], "text") if agent["final_answer"].strip() else "_(no answer)_")
    if agent["tool_calls"]:
        lines += ["", f"**Tool trace** ({len(agent['tool_calls'])} call(s))", ""]
        lines.append(_table(["#", "Tool", "Arguments", "Result"], _trace_rows(agent), right={0}))
        if len(agent["tool_calls"]) > TRACE_ROWS_CAP:
            lines.append(f"\n_{len(agent['tool_calls']) - TRACE_ROWS_CAP} more call(s) in the JSON report._")
    if agent["files_changed"]:
        lines += ["", f"**Files changed** ({len(agent['files_changed'])})", ""]
        for path in sorted(agent["files_changed"]):
            diff = agent["file_diffs"].get(path, "")
            lines += [f"<details><summary><code>{_html(path)}</code></summary>", "",
                      _fence(diff, "diff") if diff else "_(no diff recorded)_", "", "</details>", ""]
        lines.pop()
    return lines


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _judge(data: dict[str, Any]) -> list[str]:
    j = data["judge"]
    if j is None:
        return ["## Judge", "", "No judge verdict for this run: performance comes from the task's checks "
                "(`nanotui report RUN_ID --judge SPEC` judges a stored run)."]
    u = j["usage"]
    lines = [
        "## Judge",
        "",
        f"`{j['judge']}` graded the candidates blind (labels in an order shuffled with seed `{j['seed']}`, "
        "model names scrubbed from their material).",
        "",
        _table(["Status", "Attempts", "Tokens in / out", "Cost", "Wall s"],
               [[j["status"], j["attempts"], f"{u['input_tokens']:,} / {u['output_tokens']:,}",
                 _usd(j["cost_usd"]), _secs(j["wall_s"])]], right={1, 2, 3, 4}),
        "",
        "The judge's cost is its own: it is not added to any candidate's cost.",
    ]
    if j["error"]:
        lines += ["", f"**Judge error:** {_cell(j['error'])}"]
    if j["status"] in ("partial", "unscored"):
        lines += ["", "Candidates without a readable grade after one retry are **unscored** (not F)."]
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
        _table(["Limit", "Value"], limit_rows),
        "",
        "**Grading.** Performance: " + g["performance"] + ". Speed and cost: " + g["speed_and_cost"]
        + f", with floors of {g['speed_floor_s']:g} s and ${g['cost_floor_usd']:g}; {steps}, otherwise F. "
        + f"Overall: {g['overall']} (weights: {weights}). Ranking: {g['ranking']}.",
        "",
    ]
    if m["variables"]:
        lines += [_table(["Variable", "Value"], [[k, v] for k, v in m["variables"].items()]), ""]
    lines += ["<details><summary>System prompt</summary>", "", _fence(m["system_prompt"] or "(not recorded)", "text"),
              "", "</details>"]
    if m["rubric"]:
        lines += ["", "<details><summary>Rubric given to the judge</summary>", "", _fence(m["rubric"], "text"), "",
                  "</details>"]
    task = data["run"]["task"]
    lines += ["", "<details><summary>Task prompt</summary>", "", _fence(task["prompt"], "text"), "", "</details>"]
    return lines


def render_markdown(data: dict[str, Any]) -> str:
    by_id = {a["agent_id"]: a for a in data["agents"]}
    parts: list[str] = []
    parts += _header(data) + [""]
    parts += _ranking(data) + [""]
    parts += _quality_vs_cost(data) + [""]
    trials = _trials(data)
    if trials:
        parts += trials + [""]
    parts += ["## Models", ""]
    for row in data["ranking"]:
        parts += _agent_section(row, by_id[row["agent_id"]]) + [""]
    parts += _judge(data) + [""]
    parts += _method(data)
    return redact("\n".join(parts).rstrip("\n") + "\n")
