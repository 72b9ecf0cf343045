"""The verdict issue: checks bound the judge, a jury across vendors with its agreement, the
order swapped to catch position bias, self-preference, failed jurors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nanotui.cli import main
from nanotui.engine.history.store import RunStore
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.verdict.agreement import ordinal_alpha, position_consistency
from nanotui.engine.verdict.grading import grade_run
from nanotui.engine.verdict.jury import Jury, combine_passes, default_jury, median_grade, resolve_judge
from tests.helpers import FactoryProviders
from tests.servers.script import Call, Fault, Reply
from tests.stored_runs import agent, run_of, verdict_for
from tests.test_judge import grades_reply

JUDGE_MODEL = "claude-opus-4-1"


def read_then(answer: str) -> list[Reply]:
    return [Reply(calls=[Call("read_file", {"file_path": "project.txt"})]), Reply(text=answer)]


def run_basic_read(tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "out.json"
    assert main(["run", "basic-read", "-m", "openai:gpt-5-mini", "-m", "openai:gpt-5-nano", "--json", str(out),
                 *extra]) == 0
    return json.loads(out.read_text())


# -- checks bound the judge -----------------------------------------------------------------


def test_a_judge_that_says_s_to_all_is_capped_by_failed_checks(openai_server, anthropic_server, tmp_path) -> None:
    openai_server.script("gpt-5-mini", *read_then("The codename is AMBER-FALCON-7."))  # not alone: 2/3
    openai_server.script("gpt-5-nano", Reply(text="AMBER-FALCON-7"))  # never read the file: 2/3
    anthropic_server.always(JUDGE_MODEL, grades_reply({"Candidate A": "S", "Candidate B": "S"}))
    data = run_basic_read(tmp_path)
    for a in data["agents"]:
        g = a["grades"]
        assert sum(c["passed"] for c in a["checks"]) == 2 and len(a["checks"]) == 3
        assert g["performance"] == "B"  # the checks-only grade for 2 of 3, not the judge's S
        basis = g["performance_basis"]
        assert basis["source"] == "judge" and basis["capped_by_checks"] is True
        assert basis["cap"] == "judge said S; 2/3 checks passed, so at most B"
        assert g["overall"] in ("B", "C")
    assert "capped by failed checks" in data["grading_note"]


def test_an_unreadable_judge_leaves_performance_to_the_checks(openai_server, anthropic_server, tmp_path) -> None:
    openai_server.script("gpt-5-mini", *read_then("AMBER-FALCON-7"))
    openai_server.script("gpt-5-nano", *read_then("no idea"))
    anthropic_server.always(JUDGE_MODEL, Reply(text="They were all fine."))
    data = run_basic_read(tmp_path)
    grades = {a["model"]: a["grades"] for a in data["agents"]}
    assert grades["openai:gpt-5-mini"]["performance"] == "A"
    assert grades["openai:gpt-5-nano"]["performance"] == "D"  # 1 of 3 checks
    assert all(g["performance_basis"]["source"] == "checks" for g in grades.values())
    assert data["judge"]["status"] == "unscored"


def test_checks_cap_in_grade_run() -> None:
    run = run_of(agent("a1", checks=(True, False)), agent("a2", checks=(True, True)), agent("a3"))
    grades = {g.agent_id: g for g in grade_run(run, verdict_for(run, {"a1": "S", "a2": "S", "a3": "B"}))}
    assert grades["a1"].performance == "C" and grades["a1"].capped_by_checks
    assert grades["a2"].performance == "S" and not grades["a2"].capped_by_checks  # all checks passed
    assert grades["a3"].performance == "B" and not grades["a3"].capped_by_checks  # no checks
    # a judge grade below the checks-only grade stands: checks bound from above only
    low = {g.agent_id: g for g in grade_run(run, verdict_for(run, {"a1": "F", "a2": "D", "a3": "B"}))}
    assert low["a1"].performance == "F" and low["a2"].performance == "D"


# -- a jury of three vendors ------------------------------------------------------------------


def test_three_jurors_with_position_bias(openai_server, anthropic_server, ollama_server, tmp_path) -> None:
    ollama_server.script("qwen3:8b", Reply(text="PLUM"))
    ollama_server.script("llama3.1:8b", Reply(text="The word is PLUM, I think."))
    # Each juror sees the two candidates twice, the second time in reverse order; labels follow
    # the order shown, so a juror that favours whatever it sees first is caught.
    openai_server.script("gpt-5-mini", grades_reply({"Candidate A": "S", "Candidate B": "D"}),
                         grades_reply({"Candidate A": "S", "Candidate B": "D"}))
    anthropic_server.script("claude-sonnet-4-6", grades_reply({"Candidate A": "S", "Candidate B": "C"}),
                            grades_reply({"Candidate A": "S", "Candidate B": "C"}))
    ollama_server.script("gpt-oss:20b", grades_reply({"Candidate A": "A", "Candidate B": "A"}),
                         grades_reply({"Candidate A": "A", "Candidate B": "A"}))
    out, report = tmp_path / "out.json", tmp_path / "report.md"
    assert main(["run", "--prompt", "What is the secret word?", "-m", "ollama:qwen3:8b", "-m", "ollama:llama3.1:8b",
                 "--judge", "openai:gpt-5-mini", "--judge", "anthropic:claude-sonnet-4-6",
                 "--judge", "ollama:gpt-oss:20b", "--json", str(out), "--report", str(report)]) == 0
    data = json.loads(out.read_text())
    judge = data["judge"]
    assert [j["spec"] for j in judge["jurors"]] == ["openai:gpt-5-mini", "anthropic:claude-sonnet-4-6",
                                                    "ollama:gpt-oss:20b"]
    assert all(j["passes"] == 2 and j["status"] == "ok" for j in judge["jurors"])
    # gpt-5-mini: S then D for each candidate -> mean 3 -> B; sonnet: S/C -> 3.5 -> B; gpt-oss: A, A
    for a in data["agents"]:
        basis = a["grades"]["performance_basis"]
        assert basis["juror_grades"] == {"anthropic:claude-sonnet-4-6": "B", "ollama:gpt-oss:20b": "A",
                                         "openai:gpt-5-mini": "B"}
        assert a["grades"]["performance"] == "B" and basis["position_consistent"] is False
    consistency = {j["spec"]: j["position_consistency"] for j in judge["jurors"]}
    assert consistency == {"openai:gpt-5-mini": 0.0, "anthropic:claude-sonnet-4-6": 0.0, "ollama:gpt-oss:20b": 1.0}
    assert judge["position_consistency"] == pytest.approx(1 / 3, abs=1e-4)
    # units [B, B, A] twice: alpha = 1 - (n-1) * D_o / D_e = 1 - 5 * 36 / 144 = -0.25 (see test below)
    assert judge["agreement"]["metric"] == "krippendorff_alpha_ordinal"
    assert judge["agreement"]["value"] == pytest.approx(-0.25) and judge["agreement"]["low"] is True
    assert judge["cost_usd"] is not None and judge["self_preference"] == []
    text = report.read_text()
    assert "Agreement (Krippendorff's α, ordinal) over 3 jurors: **-0.25**" in text and "Low agreement" in text
    assert "differs by order" in text


def test_a_failed_juror_is_left_out_and_said_so(openai_server, anthropic_server, tmp_path, capsys) -> None:
    openai_server.script("gpt-5-mini", Reply(text="PLUM"))
    openai_server.script("gpt-5-nano", Reply(text="PEAR"))
    anthropic_server.always("claude-sonnet-4-6", Fault(401, "invalid x-api-key"))
    anthropic_server.script(JUDGE_MODEL, grades_reply({"Candidate A": "A", "Candidate B": "C"}),
                            grades_reply({"Candidate A": "C", "Candidate B": "A"}))
    out = tmp_path / "out.json"
    assert main(["run", "--prompt", "What is the secret word?", "-m", "openai:gpt-5-mini", "-m", "openai:gpt-5-nano",
                 "--judge", "anthropic:claude-sonnet-4-6", "--judge", "anthropic:claude-opus-4-1",
                 "--json", str(out)]) == 0
    judge = json.loads(out.read_text())["judge"]
    status = {j["spec"]: j["status"] for j in judge["jurors"]}
    assert status == {"anthropic:claude-sonnet-4-6": "error", "anthropic:claude-opus-4-1": "ok"}
    assert judge["status"] == "ok" and judge["agreement"]["value"] is None
    assert "left out: anthropic:claude-sonnet-4-6" in capsys.readouterr().err


# -- units --------------------------------------------------------------------------------------


def test_median_and_ties_round_down() -> None:
    assert median_grade(["S", "A", "F"]) == "A"
    assert median_grade(["S", "B"]) == "A"  # (5 + 3) / 2 = 4
    assert median_grade(["S", "A"]) == "A"  # (5 + 4) / 2 = 4.5 -> 4
    assert median_grade(["B", "C", "D", "F"]) == "D"  # middle two C, D: 1.5 -> 1
    assert median_grade([]) is None


def test_the_two_orders_combine() -> None:
    assert combine_passes(["S", "S"]) == ("S", True)
    assert combine_passes(["S", "C"]) == ("B", False)  # 3.5 -> 3
    assert combine_passes(["A", None]) == ("A", None)
    assert combine_passes([None, None]) == (None, None)
    assert position_consistency([{"a1": "S", "a2": "B"}, {"a1": "S", "a2": "C"}]) == 0.5
    assert position_consistency([{"a1": "S"}]) is None


def test_krippendorff_alpha_on_known_tables() -> None:
    # Two jurors, three candidates, points (S=5 .. F=0): [5, 5], [3, 4], [0, 0].
    # Coincidences: o(5,5)=2, o(3,4)=o(4,3)=1, o(0,0)=2; n0=2, n3=1, n4=1, n5=2, n=6.
    # Ordinal d2(3,4) = (n3 + n4 - (n3 + n4) / 2)^2 = 1, so the observed sum is 2.
    # Expected sum over ordered pairs of n_c n_k d2: (0,3) 9 + (0,4) 25 + (0,5) 128 + (3,4) 2
    # + (3,5) 25 + (4,5) 9 = 198.  alpha = 1 - (n - 1) * 2 / 198 = 1 - 10/198.
    value, reason = ordinal_alpha([[5, 5], [3, 4], [0, 0]])
    assert reason is None and value == pytest.approx(1 - 10 / 198)
    # Three jurors, B B A on two candidates: o(3,3)=2, o(3,4)=o(4,3)=2; n3=4, n4=2, n=6;
    # d2(3,4) = (6 - 3)^2 = 9; alpha = 1 - 5 * (4 * 9) / (2 * 4 * 2 * 9) = -0.25.
    assert ordinal_alpha([[3, 3, 4], [3, 3, 4]]) == (pytest.approx(-0.25), None)
    assert ordinal_alpha([[5, 5], [5, 5]]) == (None, "no variance: every grade is the same")
    assert ordinal_alpha([[5], [3]])[0] is None  # one juror
    assert ordinal_alpha([[4, 4], [2, 2]])[0] == pytest.approx(1.0)


async def test_a_juror_does_not_grade_its_own_vendor_when_another_can() -> None:
    asked: dict[str, list[str]] = {}

    class Recorder:
        def __init__(self, spec: ModelSpec) -> None:
            self.spec = spec

        async def stream_turn(self, system, messages, tools):  # a juror that grades everything A
            from nanotui.engine.agent.stream import StreamTurnEnd
            from nanotui.engine.agent.transcript import AssistantMessage, ToolCall
            from nanotui.engine.usage import Usage

            text = messages[0].text
            labels = [line[3:] for line in text.splitlines() if line.startswith("## Candidate ")]
            asked.setdefault(self.spec.spec, []).append(text)
            args = {"grades": [{"candidate": label, "grade": "A", "rationale": "fine"} for label in labels]}
            yield StreamTurnEnd(AssistantMessage(tool_calls=[ToolCall("c", "submit_grades", json.dumps(args), args)]),
                                Usage(input_tokens=10, output_tokens=5))

        async def aclose(self) -> None:
            pass

    run = run_of(agent("a1", "anthropic:claude-sonnet-4-6", answer="from sonnet"),
                 agent("a2", "openai:gpt-5-mini", answer="from mini"),
                 agent("a3", "ollama:qwen3:8b", answer="from qwen"))
    jurors = [resolve_judge("anthropic:claude-opus-4-1"), resolve_judge("openai:gpt-5")]
    verdict = await Jury(jurors, providers=FactoryProviders(Recorder), passes=1).grade(run, None)
    opus_text, gpt_text = asked["anthropic:claude-opus-4-1"][0], asked["openai:gpt-5"][0]
    assert "from sonnet" not in opus_text and "from mini" in opus_text and "from qwen" in opus_text
    assert "from mini" not in gpt_text and "from sonnet" in gpt_text
    assert {(p["juror"], p["agent_id"], p["excluded"]) for p in verdict.self_preference} == {
        ("anthropic:claude-opus-4-1", "a1", True), ("openai:gpt-5", "a2", True)}
    # one judge: it grades everyone, and the candidates of its vendor are named
    alone = await Jury([jurors[0]], providers=FactoryProviders(Recorder), passes=1).grade(run, None)
    assert alone.self_preference == [{"juror": "anthropic:claude-opus-4-1", "agent_id": "a1", "excluded": False}]
    assert alone.candidates["a1"].grade == "A"


async def test_agents_that_did_nothing_are_not_sent_to_a_paid_judge() -> None:
    def factory(spec):
        raise AssertionError("no provider should be made")

    run = run_of(agent("a1", status="cancelled", turns=0), agent("a2", status="cancelled", turns=0))
    verdict = await Jury([resolve_judge("openai:gpt-5")], providers=FactoryProviders(factory)).grade(run, None)
    assert verdict.skipped == ["a1", "a2"] and verdict.cost_usd is None and verdict.candidates == {}


def test_default_jury_picks_three_vendors() -> None:
    roster = {s: resolve_judge(s) for s in ("openai:gpt-5-mini", "openai:gpt-5", "anthropic:claude-sonnet-4-6",
                                             "ollama:gpt-oss:20b", "local:qwen2.5-coder-1.5b")}
    choice = default_jury(list(roster.values()))
    # gpt-oss is OpenAI's model: the third vendor is the on-device Qwen (Alibaba), not a second OpenAI model
    assert choice.specs == ["openai:gpt-5-mini", "anthropic:claude-sonnet-4-6", "local:qwen2.5-coder-1.5b"]
    two = default_jury([roster["openai:gpt-5"], roster["ollama:gpt-oss:20b"]])
    assert two.specs == ["openai:gpt-5", "ollama:gpt-oss:20b"] and "only 2" in (two.note or "")


def test_stored_verdicts_read_back(tmp_path: Path) -> None:
    run = run_of(agent("a1"), agent("a2"))
    v = verdict_for(run, {"a1": "S", "a2": None})
    with RunStore(tmp_path / "h.sqlite3") as store:
        from tests.stored_runs import store_run

        store_run(store, run)
        store.add_verdict(run.run_id, v)
        back = store.latest_verdict(run.run_id)
    assert back is not None and back.to_dict() == v.to_dict()


def test_show_verdicts_lists_every_verdict_and_their_agreement(tmp_path: Path, capsys) -> None:
    from tests.stored_runs import store_run

    run = run_of(agent("a1"), agent("a2"), agent("a3"))
    with RunStore() as store:
        store_run(store, run)
        store.add_verdict(run.run_id, verdict_for(run, {"a1": "S", "a2": "B", "a3": "F"}))
        store.add_verdict(run.run_id, verdict_for(run, {"a1": "S", "a2": "C", "a3": "F"}))
    capsys.readouterr()
    assert main(["show", run.run_id, "--verdicts"]) == 0
    out = capsys.readouterr().out
    assert "#1" in out and "#2" in out and "anthropic:claude-opus-4-1" in out
    assert "2/3 agents graded the same by every verdict" in out and "α=" in out


def test_the_advisor_pools_like_with_like_and_says_why_a_model_is_on_the_front() -> None:
    from nanotui.engine.verdict.advisor import advise

    judged = run_of(agent("a1", "anthropic:claude-opus-4-1", cost_usd=0.054, wall_s=0.88, checks=(True,)),
                    agent("a2", "ollama:gpt-oss:120b", cost_usd=0.0, wall_s=0.74, checks=(True,)), run_id="r1")
    checks_only = run_of(agent("a1", "anthropic:claude-opus-4-1", cost_usd=0.05, wall_s=0.9, checks=(True,)),
                         run_id="r2")
    advice = advise([(judged, grade_run(judged, verdict_for(judged, {"a1": "S", "a2": "B"}))),
                     (checks_only, grade_run(checks_only))])
    stats = {m.model: m for m in advice.models}
    opus = stats["anthropic:claude-opus-4-1"]
    assert opus.basis == "judge" and opus.mean_points == 5.0  # the checks-only A is not mixed in
    reasons = advice.to_dict()["pareto_reasons"]
    assert reasons["anthropic:claude-opus-4-1"] == "the best quality: S (5.0, judge)"
    assert reasons["ollama:gpt-oss:120b"] == "cheaper than every model above its quality B (3.0, judge)"
