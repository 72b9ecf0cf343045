"""The report's "Judge" section: the jurors, their grades per candidate, the jury's
agreement, position consistency, self-preference and cost."""

from __future__ import annotations

from typing import Any

from nanotui.engine.numbers import secs, usd
from nanotui.engine.report.tables import NONE, UNKNOWN, cell, table


def judge_section(data: dict[str, Any]) -> list[str]:
    j = data["judge"]
    if j is None:
        return ["## Judge", "", "No judge verdict for this run: performance comes from the task's checks "
                "(`nanotui report RUN_ID --judge SPEC` judges a stored run)."]
    jurors = j["jurors"]
    lines = [
        "## Judge",
        "",
        f"{len(jurors)} juror(s) graded the candidates blind (labels in an order shuffled with seed `{j['seed']}`, "
        "model names scrubbed from their material)"
        + (", each in that order and in its reverse." if any(x["passes"] > 1 for x in jurors) else "."),
        "",
        table(["Juror", "Status", "Passes", "Position consistency", "Tokens in / out", "Cost", "Wall s"],
              [[f"`{x['spec']}`", x["status"], x["passes"], _share(x["position_consistency"]),
                f"{x['usage']['input_tokens']:,} / {x['usage']['output_tokens']:,}", usd(x["cost_usd"], UNKNOWN),
                secs(x["wall_s"], NONE)] for x in jurors], right={2, 3, 4, 5, 6}),
        "",
        f"Jury status **{j['status']}** · total cost {usd(j['cost_usd'], UNKNOWN)} (its own: not added to any "
        f"candidate's cost) · position consistency {_share(j['position_consistency'])}.",
    ]
    lines += ["", _agreement(j["agreement"], len(jurors))]
    lines += _grades_table(data, jurors)
    shared = [p for p in j["self_preference"] if not p.get("excluded")]
    excluded = [p for p in j["self_preference"] if p.get("excluded")]
    if excluded:
        lines += ["", "Not graded by a juror of the same vendor (another juror could): "
                  + ", ".join(f"`{p['agent_id']}` by `{p['juror']}`" for p in excluded) + "."]
    if shared:
        lines += ["", "**Self-preference warning:** these candidates share their only juror's vendor: "
                  + ", ".join(f"`{p['agent_id']}` (`{p['juror']}`)" for p in shared) + "."]
    if j.get("skipped"):
        lines += ["", "Not sent to the jury (cancelled before their first turn): "
                  + ", ".join(f"`{a}`" for a in j["skipped"]) + "."]
    if j["error"]:
        lines += ["", f"**Juror errors:** {cell(j['error'])} (left out of the jury)"]
    if j["status"] in ("partial", "unscored"):
        lines += ["", "Candidates without a readable grade after one retry are graded by their checks, or "
                  "**unscored** when the task has none (never F)."]
    return lines


def _share(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


def _agreement(a: dict[str, Any], jurors: int) -> str:
    if a["value"] is None:
        return f"Agreement (Krippendorff's α, ordinal): not defined — {a['reason']}."
    flag = " **Low agreement (< 0.67): lean on these grades with care.**" if a["low"] else ""
    return f"Agreement (Krippendorff's α, ordinal) over {jurors} jurors: **{a['value']:.2f}**.{flag}"


def _grades_table(data: dict[str, Any], jurors: list[dict[str, Any]]) -> list[str]:
    if len(jurors) < 2 and all(x["passes"] < 2 for x in jurors):
        return []
    specs = [x["spec"] for x in jurors]
    rows = []
    for r in data["ranking"]:
        basis = r["grades"]["performance_basis"]
        rows.append([r["display_name"] + (f" #{r['trial']}" if r.get("trial") else ""),
                     *(basis["juror_grades"].get(s) or "–" for s in specs),
                     r["grades"]["performance"] or "–",
                     "capped" if basis["capped_by_checks"] else "",
                     "differs by order" if basis["position_consistent"] is False else ""])
    return ["", table(["Candidate", *(f"`{s}`" for s in specs), "Performance", "Checks", "Order"], rows)]
