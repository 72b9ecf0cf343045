"""The judge against scripted loopback servers: blind, shuffled, parsed through a tool, retried
once, unscored rather than F, and its cost kept apart from the candidates'."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.agent.transcript import AssistantMessage, ToolCall
from nanotui.engine.history.store import RunStore
from nanotui.engine.roster.pricing import cost_usd
from nanotui.engine.usage import Usage
from nanotui.engine.verdict.jury import Jury, choose_jury, resolve_judge
from nanotui.engine.verdict.reply import parse_reply
from nanotui.engine.verdict.request import blind_order, build_request, label_for
from tests.helpers import FactoryProviders
from tests.servers.script import Call, Fault, Reply
from tests.stored_runs import agent, run_of

JUDGE_MODEL = "claude-opus-4-1"  # the default judge's model id on the wire


def grades_reply(grades: dict[str, str], **usage) -> Reply:
    entries = [{"candidate": label, "grade": g, "rationale": f"{label} earns {g}."} for label, g in grades.items()]
    return Reply(calls=[Call("submit_grades", {"grades": entries})], **usage)


def candidate_blocks(user_text: str) -> dict[str, str]:
    """label -> that candidate's block of the judge's request."""
    parts = re.split(r"^## (Candidate [A-Z]+)$", user_text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def judge_user_text(body: dict) -> str:
    (message,) = body["messages"]
    content = message["content"]
    return content if isinstance(content, str) else "".join(b["text"] for b in content)


def two_candidates(openai_server) -> None:
    openai_server.script("gpt-5-mini", Reply(text="The secret word is PLUM (answer from gpt-5-mini).",
                                             input_tokens=400, output_tokens=30))
    openai_server.script("gpt-5-nano", Reply(text="I am GPT-5 nano; I guess PEAR.", input_tokens=300, output_tokens=20))


def run_two(tmp_path: Path, *extra: str, passes: str = "1") -> tuple[int, dict]:
    """One pass unless asked: these tests are about one judge's request; test_jury.py swaps orders."""
    out = tmp_path / "out.json"
    code = main(["run", "--prompt", "What is the secret word?", "-m", "openai:gpt-5-mini", "-m", "openai:gpt-5-nano",
                 "--json", str(out), "--judge-passes", passes, *extra])
    return code, json.loads(out.read_text())


def test_grades_per_agent_blind_request_and_separate_cost(openai_server, anthropic_server, tmp_path, capsys) -> None:
    two_candidates(openai_server)
    anthropic_server.script(JUDGE_MODEL, grades_reply({"Candidate A": "S", "Candidate B": "D"},
                                                      input_tokens=3000, output_tokens=200))
    code, data = run_two(tmp_path)
    assert code == 0
    (request,) = anthropic_server.requests_for("/messages")
    body = json.dumps(request.body).lower()
    assert request.body["model"] == JUDGE_MODEL
    for name in ("gpt-5-mini", "gpt-5-nano", "gpt-5", "openai"):
        assert name not in body, name
    assert "plum" in body and "pear" in body and "[model]" in body  # answers sent, self-naming scrubbed
    # Grades land on the right agents, whatever the shuffle was.
    blocks = candidate_blocks(judge_user_text(request.body))
    plum_label = next(label for label, text in blocks.items() if "PLUM" in text)
    expected = {"Candidate A": "S", "Candidate B": "D"}
    agents = {a["model"]: a for a in data["agents"]}
    mini = agents["openai:gpt-5-mini"]["grades"]
    nano = agents["openai:gpt-5-nano"]["grades"]
    assert mini["performance"] == expected[plum_label] and mini["judge_label"] == plum_label
    assert nano["performance"] == expected[({"Candidate A", "Candidate B"} - {plum_label}).pop()]
    assert mini["performance_basis"]["source"] == "judge" and mini["rationale"].endswith("earns " + mini["performance"] + ".")
    assert {mini["overall"], nano["overall"]} <= set("SABCDF")
    assert data["ranking"][0] == ("a1" if mini["performance"] == "S" else "a2")
    # The judge's usage and cost are its own.
    judge = data["judge"]
    assert judge["judge"] == "anthropic:claude-opus-4-1" and judge["status"] == "ok" and judge["attempts"] == 1
    assert judge["usage"]["input_tokens"] == 3000 and judge["usage"]["output_tokens"] == 200
    assert judge["cost_usd"] == pytest.approx(cost_usd("anthropic", JUDGE_MODEL, Usage(input_tokens=3000,
                                                                                       output_tokens=200)))
    for a in data["agents"]:
        provider, _, model = a["model"].partition(":")
        assert a["cost_usd"] == pytest.approx(cost_usd(provider, model, Usage.from_dict(a["usage"])))
        assert a["usage"]["input_tokens"] in (300, 400)
    with RunStore() as store:
        stored = store.latest_verdict(data["run_id"])
    assert stored is not None and stored.to_dict() == judge
    assert "not in the models' costs" in capsys.readouterr().err


def test_garbled_reply_is_retried_once_then_unscored(openai_server, anthropic_server, tmp_path) -> None:
    two_candidates(openai_server)
    anthropic_server.script(
        JUDGE_MODEL,
        Reply(text="They both did fine, I think."),
        Reply(calls=[Call("submit_grades", '{"grades": [{"candidate": "Candidate A", "grade": "A"')]),
    )
    code, data = run_two(tmp_path)
    assert code == 0
    requests = anthropic_server.requests_for("/messages")
    assert len(requests) == 2  # exactly one retry
    assert "could not be read" in judge_user_text(requests[1].body)
    assert "could not be read" not in judge_user_text(requests[0].body)
    for a in data["agents"]:
        g = a["grades"]
        assert g["performance"] is None and g["performance_basis"]["source"] == "unscored" and g["overall"] is None
    assert data["judge"]["status"] == "unscored" and data["judge"]["attempts"] == 2


def test_retry_fills_in_what_the_first_reply_missed(openai_server, anthropic_server, tmp_path) -> None:
    two_candidates(openai_server)
    anthropic_server.script(
        JUDGE_MODEL,
        grades_reply({"Candidate A": "B", "Candidate Q": "A"}),  # B missing, an unknown label
        grades_reply({"Candidate B": "c"}, input_tokens=50),  # lower-case grade is read
    )
    code, data = run_two(tmp_path)
    assert code == 0 and len(anthropic_server.requests_for("/messages")) == 2
    assert sorted(a["grades"]["performance"] for a in data["agents"]) == ["B", "C"]
    assert data["judge"]["status"] == "ok" and data["judge"]["usage"]["input_tokens"] == 150


def test_one_candidate_left_unscored(openai_server, anthropic_server, tmp_path) -> None:
    two_candidates(openai_server)
    anthropic_server.script(JUDGE_MODEL, grades_reply({"Candidate A": "A"}), grades_reply({"Candidate A": "A"}))
    _, data = run_two(tmp_path)
    perf = sorted((a["grades"]["performance"] or "unscored") for a in data["agents"])
    assert perf == ["A", "unscored"] and data["judge"]["status"] == "partial"
    ranked = {a["agent_id"]: a["grades"]["rank"] for a in data["agents"]}
    unscored = next(a["agent_id"] for a in data["agents"] if a["grades"]["performance"] is None)
    assert ranked[unscored] == 2


def test_judge_failure_falls_back_to_checks(openai_server, anthropic_server, tmp_path, capsys) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(calls=[Call("read_file", {"file_path": "project.txt"})]),
        Reply(text="AMBER-FALCON-7"),
    )
    anthropic_server.always(JUDGE_MODEL, Fault(401, "invalid x-api-key"))
    out = tmp_path / "out.json"
    code = main(["run", "basic-read", "-m", "openai:gpt-5-mini", "--json", str(out), "--judge-passes", "1"])
    assert code == 0
    data = json.loads(out.read_text())
    (a,) = data["agents"]
    assert a["grades"]["performance"] == "A" and a["grades"]["performance_basis"]["source"] == "checks"
    assert data["judge"]["status"] == "error" and "401" in data["judge"]["error"]
    assert data["judge"]["attempts"] == 0 and len(anthropic_server.requests_for("/messages")) == 1
    # the task's rubric reached the judge
    assert "AMBER-FALCON-7" in judge_user_text(anthropic_server.requests_for("/messages")[0].body)
    assert "judge error" in capsys.readouterr().err


def test_no_key_for_the_default_judge_means_checks_only(openai_server, tmp_path, capsys) -> None:
    openai_server.script("gpt-5-mini", Reply(calls=[Call("read_file", {"file_path": "project.txt"})]),
                         Reply(text="AMBER-FALCON-7"))
    out = tmp_path / "out.json"
    assert main(["run", "basic-read", "-m", "openai:gpt-5-mini", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["judge"] is None and data["grading_note"].startswith("checks only")
    assert data["agents"][0]["grades"]["performance"] == "A"
    err = capsys.readouterr().err
    assert "no judge: ANTHROPIC_API_KEY is not set" in err


def test_explicit_judge_without_key_is_a_one_line_error(openai_server, monkeypatch, capsys) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    code = main(["run", "--prompt", "hi", "-m", "ollama:gpt-oss:20b", "--judge", "openai:gpt-5"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["nanotui: error: --judge 'openai:gpt-5': OPENAI_API_KEY is not set; expected a judge whose key is set (or no judge)"]
    assert not openai_server.requests


def test_no_judge_flag_skips_the_judge(openai_server, anthropic_server, tmp_path) -> None:
    two_candidates(openai_server)
    _, data = run_two(tmp_path, "--no-judge")
    assert data["judge"] is None and not anthropic_server.requests


def test_openai_model_as_judge(openai_server, tmp_path) -> None:
    two_candidates(openai_server)
    openai_server.script("gpt-5", grades_reply({"Candidate A": "A", "Candidate B": "A"}))
    code, data = run_two(tmp_path, "--judge", "openai:gpt-5")
    assert code == 0 and data["judge"]["judge"] == "openai:gpt-5"
    assert [a["grades"]["performance"] for a in data["agents"]] == ["A", "A"]
    body = json.dumps(openai_server.requests_for("/responses")[-1].body).lower()
    assert "gpt-5-mini" not in body and "gpt-5-nano" not in body


def test_rejudging_a_stored_run_sends_the_same_request(openai_server, anthropic_server, tmp_path, capsys) -> None:
    two_candidates(openai_server)
    anthropic_server.script(JUDGE_MODEL, grades_reply({"Candidate A": "A", "Candidate B": "B"}),
                            grades_reply({"Candidate A": "S", "Candidate B": "F"}))
    _, data = run_two(tmp_path)
    capsys.readouterr()
    assert main(["report", data["run_id"][:17], "--judge", "anthropic:claude-opus-4-1", "--judge-passes", "1",
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    first, second = anthropic_server.requests_for("/messages")
    assert first.body == second.body  # same blinding, same order, same text
    assert sorted(r["grades"]["performance"] for r in report["ranking"]) == ["F", "S"]
    with RunStore() as store:
        assert [v.status for v in store.verdicts(data["run_id"])] == ["ok", "ok"]


# -- units ------------------------------------------------------------------------------------


def test_labels_and_seeded_shuffle() -> None:
    assert [label_for(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "Candidate A", "Candidate B", "Candidate Z", "Candidate AA", "Candidate AB", "Candidate AZ", "Candidate BA"]
    agents = [agent(f"a{i}") for i in range(1, 9)]
    one = [a.agent_id for a in blind_order(agents, "run-1:judge")]
    assert one == [a.agent_id for a in blind_order(list(reversed(agents)), "run-1:judge")]
    others = {tuple(a.agent_id for a in blind_order(agents, f"run-{i}:judge")) for i in range(2, 8)}
    assert len(others | {tuple(one)}) > 1  # the order depends on the run id


def test_request_scrubs_names_and_carries_evidence() -> None:
    from tests.stored_runs import tool

    a1 = agent("a1", "anthropic:claude-opus-4-1", display_name="Claude Opus 4.1",
               answer="As Claude Opus 4.1 I read it: PLUM", checks=(True, False),
               tool_calls=[tool("read_file", file_path="README.md"), tool("read_file", ok=False, file_path="x")],
               file_diffs={"notes.md": "--- a/notes.md\n+++ b/notes.md\n@@ -0,0 +1 @@\n+PLUM\n"},
               files_changed=["notes.md"])
    a2 = agent("a2", "ollama:gpt-oss:20b", display_name="gpt-oss 20b (Ollama)", status="timeout",
               error="timed out after 60 s", answer="")
    run = run_of(a1, a2, prompt="Which is better, gpt-oss or Claude?")
    text, by_label = build_request(run, [a2, a1], "S: PLUM exactly.")
    assert by_label == {"Candidate A": "a2", "Candidate B": "a1"}  # labels follow the order shown
    assert "Which is better, gpt-oss or Claude?" in text  # the shared prompt is left alone
    assert "S: PLUM exactly." in text
    text = text.split("# Candidates", 1)[1]
    assert set(by_label.values()) == {"a1", "a2"}
    low = text.lower()
    assert "claude-opus-4-1" not in low and "claude opus 4.1" not in low and "gpt-oss" not in low
    assert "[pass] check 1" in text and "[FAIL] check 2: expected something else" in text
    assert 'read_file(file_path="README.md") -> ok' in text and "-> error" in text
    assert "+PLUM" in text and "Status: timeout (timed out after 60 s)" in text and "(empty)" in text


def test_parse_reply_variants() -> None:
    labels = {"Candidate A", "Candidate B"}
    text_json = AssistantMessage('Here: {"grades": [{"candidate": "A", "grade": "s", "rationale": "ok"},'
                                 ' {"candidate": "candidate b", "grade": "F", "rationale": "no"}]}')
    got, problems = parse_reply(text_json, labels)
    assert got == {"Candidate A": ("S", "ok"), "Candidate B": ("F", "no")} and problems == []
    bad_grade = AssistantMessage(tool_calls=[ToolCall("t", "submit_grades", "", {"grades": [
        {"candidate": "Candidate A", "grade": "A+", "rationale": ""}, {"candidate": "Candidate B", "grade": "B"}]})])
    got, problems = parse_reply(bad_grade, labels)
    assert got == {"Candidate B": ("B", "")} and any("A+" in p for p in problems)
    nothing, problems = parse_reply(AssistantMessage("no idea"), labels)
    assert nothing == {} and problems


def test_choose_jury(monkeypatch) -> None:
    assert choose_jury(disabled=True).models == ()
    no_key = choose_jury()
    assert no_key.models == () and "ANTHROPIC_API_KEY" in (no_key.note or "")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000000000")
    assert choose_jury().spec == "anthropic:claude-opus-4-1"
    monkeypatch.setenv("NANOTUI_JUDGE", "ollama:qwen3:8b")
    assert choose_jury().spec == "ollama:qwen3:8b"  # no key needed
    monkeypatch.setenv("NANOTUI_JUDGE", "ollama:qwen3:8b, openai:gpt-5-mini")  # a list; one lacks its key
    choice = choose_jury()
    assert choice.specs == ["ollama:qwen3:8b"] and "OPENAI_API_KEY is not set" in (choice.note or "")
    assert choose_jury(["anthropic:claude-sonnet-4-5"]).spec == "anthropic:claude-sonnet-4-5"


async def test_nothing_to_judge_makes_no_call() -> None:
    def factory(spec):
        raise AssertionError("no provider should be made")

    verdict = await Jury([resolve_judge("openai:gpt-5")], providers=FactoryProviders(factory)).grade(run_of(), None)
    assert verdict.status == "ok" and verdict.candidates == {} and verdict.cost_usd is None


async def test_judge_with_a_provider_that_breaks(monkeypatch) -> None:
    class Broken:
        async def stream_turn(self, system, messages, tools):
            raise RuntimeError("bug in a provider")
            yield  # pragma: no cover

        async def aclose(self) -> None:
            pass

    run = run_of(agent("a1"), agent("a2"))
    verdict = await Jury([resolve_judge("openai:gpt-5")], providers=FactoryProviders(lambda spec: Broken())).grade(run, None)
    assert verdict.status == "error" and "bug in a provider" in (verdict.error or "")
    assert all(c.grade is None for c in verdict.candidates.values())
