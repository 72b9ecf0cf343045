"""Reading the judge's reply: grades by candidate label, and what could not be read."""

from __future__ import annotations

import json
from typing import Any

from nanotui.engine.agent.transcript import AssistantMessage
from nanotui.engine.verdict.grading import GRADES
from nanotui.engine.verdict.request import SUBMIT_GRADES


def _normalise_label(raw: Any, labels: set[str]) -> str | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip().strip('"').strip()
    if not text.lower().startswith("candidate"):
        text = f"Candidate {text}"
    text = "Candidate " + text[len("candidate"):].strip().upper()
    return text if text in labels else None


def _json_in_text(text: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None


def parse_reply(message: AssistantMessage, labels: set[str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Readable grades by label and the problems found (empty: every label graded)."""
    payload: Any = None
    problems: list[str] = []
    for call in message.tool_calls:
        if call.name == SUBMIT_GRADES.name:
            if call.arguments is None:
                problems.append("the submit_grades arguments were not valid JSON")
            else:
                payload = call.arguments
            break
    if payload is None:
        payload = _json_in_text(message.text)
        if payload is None and not problems:
            problems.append("no submit_grades call and no JSON in the reply")
    entries = payload.get("grades") if isinstance(payload, dict) else payload
    got: dict[str, tuple[str, str]] = {}
    if payload is not None and not isinstance(entries, list):
        problems.append("'grades' is not a list")
        entries = []
    for entry in entries or []:
        if not isinstance(entry, dict):
            problems.append("a grades entry is not an object")
            continue
        label = _normalise_label(entry.get("candidate"), labels)
        grade = entry.get("grade")
        grade = grade.strip().upper() if isinstance(grade, str) else None
        if label is None:
            problems.append(f"unknown candidate {str(entry.get('candidate'))[:40]!r}")
            continue
        if grade not in GRADES:
            problems.append(f"{label}: grade {str(entry.get('grade'))[:20]!r} is not one of S A B C D F")
            continue
        rationale = entry.get("rationale")
        got[label] = (grade, str(rationale).strip() if rationale is not None else "")
    missing = sorted(labels - set(got))
    if missing:
        problems.append("no readable grade for " + ", ".join(missing))
    return got, problems
