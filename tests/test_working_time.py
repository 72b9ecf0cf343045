"""Speed is graded on working time: time in the queue and waiting to retry is not the model's."""

from __future__ import annotations

from nanotui.engine.report.data import build_report
from nanotui.engine.report.markdown import measured
from nanotui.engine.verdict.grading import grade_run
from tests.stored_runs import agent, run_of


def test_queue_and_retry_waits_do_not_count_against_speed() -> None:
    run = run_of(
        agent("a1", "openai:gpt-5", wall_s=40, queue_s=25, retry_wait_s=5, checks=(True,)),  # working 10 s
        agent("a2", "openai:gpt-5-mini", wall_s=12, checks=(True,)),  # working 12 s
    )
    grades = {g.agent_id: g for g in grade_run(run)}
    assert run.agents[0].working_s == 10
    assert grades["a1"].speed == "S" and grades["a1"].rank == 1  # wall time would make it D and second
    assert grades["a2"].speed == "A"  # (12 + 1) / (10 + 1) = 1.18


def test_reports_show_wall_and_working_time_and_the_waits() -> None:
    a = agent("a1", wall_s=40, queue_s=25, retry_wait_s=5, checks=(True,))
    d = a.to_dict()
    assert (d["wall_s"], d["queue_s"], d["retry_wait_s"], d["working_s"]) == (40, 25, 5, 10)
    assert measured(d) == ["waited 25.00 s in the queue, waited 5.00 s to retry, working 10.00 s"]
    assert measured({**d, "queue_s": 0.0}) == ["waited 5.00 s to retry, working 10.00 s"]
    row = build_report(run_of(a))["ranking"][0]
    assert (row["wall_s"], row["working_s"]) == (40, 10)
