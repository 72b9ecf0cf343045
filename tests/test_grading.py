"""Grades, ranking, pass^k, trials and the advisor: pure functions, checked by hand."""

from __future__ import annotations

import pytest

from nanotui.engine.results import CheckResult
from nanotui.engine.verdict.advisor import advise, pareto_front
from nanotui.engine.verdict.grading import (
    grade_run,
    grading_note,
    overall_grade,
    pass_hat_k,
    performance_from_checks,
    relative_grade,
)
from nanotui.engine.verdict.trials import expand_trials, trial_stats
from tests.stored_runs import agent, run_of, spec_of, verdict_for


def checks(*passed: bool) -> list[CheckResult]:
    return [CheckResult(f"c{i}", p) for i, p in enumerate(passed)]


@pytest.mark.parametrize(
    ("passed", "grade"),
    [
        ((True,), "A"),
        ((True, True, True), "A"),
        ((False,), "F"),
        ((False, False), "F"),
        ((True, False), "C"),  # 4 x 1/2 = 2
        ((True, True, True, False), "B"),  # 4 x 3/4 = 3
        ((True, False, False, False), "D"),  # 4 x 1/4 = 1
        ((True,) * 9 + (False,), "B"),  # 3.6 rounds to 4, kept below A: not every check passed
        ((True,) + (False,) * 9, "D"),  # 0.4 rounds to 0, kept above F: one check passed
        ((True, True, False), "B"),  # 4 x 2/3 = 2.67 rounds to 3
    ],
)
def test_performance_from_checks(passed: tuple[bool, ...], grade: str) -> None:
    assert performance_from_checks(checks(*passed)) == grade


def test_no_checks_means_no_checks_grade() -> None:
    assert performance_from_checks([]) is None


@pytest.mark.parametrize(
    ("value", "best", "floor", "grade"),
    [
        (10.0, 10.0, 1.0, "S"),
        (11.0, 10.0, 1.0, "S"),  # 12/11 = 1.09
        (12.0, 10.0, 1.0, "A"),  # 13/11 = 1.18
        (15.5, 10.0, 1.0, "A"),  # 16.5/11 = 1.5 exactly
        (21.0, 10.0, 1.0, "B"),  # 2.0 exactly
        (32.0, 10.0, 1.0, "C"),  # 3.0 exactly
        (54.0, 10.0, 1.0, "D"),  # 5.0 exactly
        (54.1, 10.0, 1.0, "F"),
        (0.2, 0.1, 1.0, "S"),  # sub-second differences do not read as a factor of 2
        (0.4, 0.1, 1.0, "A"),  # nor as a factor of 4 (D)
        (0.0, 0.0, 0.001, "S"),
        (0.001, 0.0, 0.001, "B"),  # a tenth of a cent against a free local model
        (0.01, 0.0, 0.001, "F"),
    ],
)
def test_relative_grade(value: float, best: float, floor: float, grade: str) -> None:
    assert relative_grade(value, best, floor) == grade


def test_overall_is_gated_by_performance() -> None:
    assert overall_grade("F", "S", "S") == ("F", 2.0)  # 0.25*5 + 0.15*5 = 2.0 but F stays F
    assert overall_grade(None, "S", "S") == (None, None)


def test_overall_never_above_performance() -> None:
    # B performance, best speed and cost: 0.6*3 + 0.25*5 + 0.15*5 = 3.8 -> A, capped to B
    assert overall_grade("B", "S", "S") == ("B", 3.8)


def test_overall_weighted_and_rounded_half_up() -> None:
    # S, C, F: 3.0 + 0.5 + 0 = 3.5 -> A (half up)
    assert overall_grade("S", "C", "F") == ("A", 3.5)
    # A, F, F: 2.4 -> C
    assert overall_grade("A", "F", "F") == ("C", 2.4)


def test_unknown_cost_drops_out_of_the_weights() -> None:
    # (0.6*4 + 0.25*2) / 0.85 = 3.41 -> B
    grade, score = overall_grade("A", "C", None)
    assert grade == "B" and score == pytest.approx(3.4118, abs=1e-4)


def test_ranking_overall_then_wall_then_cost() -> None:
    run = run_of(
        agent("a1", "openai:gpt-5", wall_s=30, cost_usd=0.05, checks=(True, True)),
        agent("a2", "openai:gpt-5-mini", wall_s=12, cost_usd=0.01, checks=(True, True)),
        agent("a3", "openai:gpt-5-nano", wall_s=10, cost_usd=0.002, checks=(True, False)),
        agent("a4", "anthropic:claude-3-haiku", wall_s=12, cost_usd=0.008, checks=(True, True)),
    )
    grades = grade_run(run)
    by_id = {g.agent_id: g for g in grades}
    assert [g.agent_id for g in grades] == ["a4", "a2", "a1", "a3"]
    assert [g.rank for g in grades] == [1, 2, 3, 4]
    assert {g.basis for g in grades} == {"checks"}
    assert by_id["a3"].performance == "C" and by_id["a1"].performance == "A"
    # a2 and a4 tie on overall (A) and wall time (12 s): the cheaper one ranks first
    assert by_id["a2"].overall == by_id["a4"].overall == "A"
    # speed against the fastest contender (a3, 10 s): 31/11 = 2.8 -> C
    assert by_id["a1"].speed == "C"
    # cost: (0.05+0.01)/(0.002+0.01) = 5 -> D (a floor of a cent: a few tenths of a cent is no factor)
    assert by_id["a1"].cost == "D"
    assert grading_note(grades).startswith("checks only")


def test_failed_agents_do_not_set_the_pace() -> None:
    run = run_of(
        agent("a1", wall_s=0.2, cost_usd=0.0, status="error", checks=(False, False)),
        agent("a2", "openai:gpt-5", wall_s=20, cost_usd=0.02, checks=(True, True)),
    )
    grades = {g.agent_id: g for g in grade_run(run)}
    assert grades["a2"].speed == "S" and grades["a2"].cost == "S"  # measured against itself
    assert grades["a1"].overall == "F" and grades["a1"].rank == 2


def test_checks_bound_the_judge_and_an_unscored_agent_falls_back_to_its_checks() -> None:
    run = run_of(
        agent("a1", wall_s=10, checks=(True, False)),
        agent("a2", "openai:gpt-5", wall_s=12, checks=(True, True)),
        agent("a3", "openai:gpt-5-nano", wall_s=5, checks=(False, False)),
    )
    verdict = verdict_for(run, {"a1": "S", "a2": "B", "a3": None}, status="partial")
    grades = {g.agent_id: g for g in grade_run(run, verdict)}
    # a1: the judge said S, but one of two checks failed: at most the checks-only grade (C)
    assert grades["a1"].performance == "C" and grades["a1"].basis == "judge" and grades["a1"].capped_by_checks
    assert grades["a1"].rationale == "rationale for a1" and grades["a1"].label == "Candidate A"
    assert grades["a2"].performance == "B" and not grades["a2"].capped_by_checks  # below the checks: stands
    assert grades["a3"].performance == "F" and grades["a3"].basis == "checks"  # unscored: its checks grade it
    assert grading_note(list(grades.values())).startswith("performance graded by the judge")
    no_checks = run_of(agent("a1"), agent("a2"))
    unscored = {g.agent_id: g for g in grade_run(no_checks, verdict_for(no_checks, {"a1": "A", "a2": None}))}
    assert unscored["a2"].performance is None and unscored["a2"].basis == "unscored"
    assert unscored["a2"].overall is None and unscored["a2"].rank == 2  # last, not F


def test_failed_judge_call_falls_back_to_checks() -> None:
    run = run_of(agent("a1", checks=(True, True)))
    verdict = verdict_for(run, {"a1": None}, status="error")
    (g,) = grade_run(run, verdict)
    assert g.performance == "A" and g.basis == "checks"


def test_cancelled_agents_are_not_graded_f() -> None:
    run = run_of(agent("a1", status="cancelled", checks=(True, False)), agent("a2", checks=(True, True)))
    grades = {g.agent_id: g for g in grade_run(run)}
    assert grades["a1"].performance is None and grades["a1"].basis == "cancelled" and grades["a1"].rank == 2
    judged = {g.agent_id: g for g in grade_run(run, verdict_for(run, {"a1": "D", "a2": "A"}))}
    assert judged["a1"].performance == "D"  # a judge that saw it may still grade it


def test_no_checks_no_judge() -> None:
    run = run_of(agent("a1"), agent("a2", status="timeout"), task_id=None)
    grades = {g.agent_id: g for g in grade_run(run)}
    assert grades["a1"].performance is None and grades["a1"].basis == "none"
    assert grades["a2"].performance == "F" and grades["a2"].basis == "status"


def test_unknown_cost_grades_as_unknown() -> None:
    run = run_of(agent("a1", cost_usd=None, checks=(True,)), agent("a2", cost_usd=0.01, checks=(True,)))
    grades = {g.agent_id: g for g in grade_run(run)}
    assert grades["a1"].cost is None and grades["a1"].overall == "A"


@pytest.mark.parametrize(
    ("passes", "trials", "k", "expected"),
    [(3, 3, 1, 1.0), (3, 3, 3, 1.0), (2, 3, 1, 2 / 3), (2, 3, 2, 1 / 3), (2, 3, 3, 0.0), (0, 4, 1, 0.0),
     (3, 4, 2, 0.5)],
)
def test_pass_hat_k(passes: int, trials: int, k: int, expected: float) -> None:
    assert pass_hat_k(passes, trials, k) == pytest.approx(expected)


def test_pass_hat_k_rejects_k_out_of_range() -> None:
    with pytest.raises(ValueError):
        pass_hat_k(1, 2, 3)


def test_trials_expand_and_summarise() -> None:
    specs = expand_trials([spec_of("openai:gpt-5-mini", "mini"), spec_of("openai:gpt-5-nano", "nano")], 3)
    assert [s.spec for s in specs] == ["openai:gpt-5-mini"] * 3 + ["openai:gpt-5-nano"] * 3
    run = run_of(
        agent("a1", wall_s=10, cost_usd=0.01, checks=(True,)),
        agent("a2", wall_s=20, cost_usd=0.03, checks=(True,)),
        agent("a3", wall_s=30, cost_usd=0.02, checks=(False,)),
        agent("a4", "openai:gpt-5-nano", wall_s=5, cost_usd=None, checks=(True,)),
    )
    stats = {t.model: t for t in trial_stats(run, grade_run(run))}
    mini = stats["openai:gpt-5-mini"]
    assert (mini.trials, mini.passes) == (3, 2)
    assert (mini.wall_s.mean, mini.wall_s.min, mini.wall_s.max) == (20.0, 10.0, 30.0)
    assert mini.cost_usd is not None and mini.cost_usd.mean == pytest.approx(0.02)
    assert mini.pass_hat(1) == pytest.approx(2 / 3) and mini.pass_hat(3) == 0.0
    assert mini.to_dict()["pass_hat_3"] == 0.0
    assert stats["openai:gpt-5-nano"].cost_usd is None  # unknown, not averaged as 0


def four_models(run_id: str, figures: list[tuple[float, float, bool]]):
    """gpt-5, mini, nano and gpt-oss 20b with (wall s, cost, passed its one check)."""
    models = ("openai:gpt-5", "openai:gpt-5-mini", "openai:gpt-5-nano", "ollama:gpt-oss:20b")
    return run_of(*(agent(f"a{i}", m, wall_s=w, cost_usd=c, checks=(ok,))
                    for i, (m, (w, c, ok)) in enumerate(zip(models, figures), start=1)), run_id=run_id)


def test_advisor_names_cheapest_and_fastest_reaching_a() -> None:
    run1 = four_models("r1", [(40, 0.05, True), (15, 0.01, True), (5, 0.001, False), (90, 0.0, True)])
    run2 = four_models("r2", [(30, 0.04, True), (25, 0.01, False), (6, 0.001, True), (80, 0.0, False)])
    advice = advise([(r, grade_run(r)) for r in (run1, run2)])
    stats = {m.model: m for m in advice.models}
    assert stats["openai:gpt-5"].reached == 2 and stats["openai:gpt-5"].median_wall_s == 35
    assert stats["openai:gpt-5-nano"].reached == 1 and stats["openai:gpt-5-nano"].recommendable  # half counts
    assert advice.cheapest is not None and advice.cheapest.model == "ollama:gpt-oss:20b"  # free, 1 of 2 reached A
    assert advice.fastest is not None and advice.fastest.model == "openai:gpt-5-nano"
    assert advice.runs == ["r1", "r2"]
    front = [m.model for m in advice.pareto]
    # gpt-5: best quality; gpt-5-nano: fastest; gpt-oss: cheapest. mini (mean C) is beaten by
    # nano (mean C too) on cost and on time.
    assert set(front) == {"openai:gpt-5", "openai:gpt-5-nano", "ollama:gpt-oss:20b"}
    assert front[0] == "openai:gpt-5"


def test_pareto_front_drops_dominated_and_failing_models() -> None:
    run = run_of(
        agent("a1", "openai:gpt-5", wall_s=40, cost_usd=0.05, checks=(True,)),
        agent("a2", "openai:gpt-5-mini", wall_s=50, cost_usd=0.06, checks=(True,)),  # dominated by gpt-5
        agent("a3", "openai:gpt-5-nano", wall_s=1, cost_usd=0.0001, checks=(False,)),  # F: never on the front
    )
    advice = advise([(run, grade_run(run))])
    assert [m.model for m in pareto_front(advice.models)] == ["openai:gpt-5"]
    assert advice.cheapest is not None and advice.cheapest.model == "openai:gpt-5"


def test_advisor_without_any_model_reaching_a() -> None:
    run = run_of(agent("a1", checks=(True, False)))
    advice = advise([(run, grade_run(run))])
    assert advice.cheapest is None and advice.fastest is None
    assert [m.model for m in advice.pareto] == ["openai:gpt-5-mini"]  # C is still on the front
