"""Side by side: aligning agents' traces by turn and finding where their paths parted."""

from __future__ import annotations

import pytest

from nanotui.engine.events import TextDelta, ToolCallStarted, TurnFinished
from nanotui.engine.report.compare import compare_agents, first_divergence, key_argument, turn_texts
from nanotui.engine.results import ToolCallRecord
from tests.stored_runs import agent


def call(name: str, turn: int, ok: bool = True, **arguments) -> ToolCallRecord:
    return ToolCallRecord(f"call_{name}_{turn}", name, arguments, ok, 10, "", turn=turn)


def reads_then_answers(agent_id: str, *paths: str, turns: int | None = None, ok: bool = True):
    """An agent that reads ``paths``, one per turn, then answers in a turn of its own."""
    calls = [call("read_file", i, ok, file_path=p) for i, p in enumerate(paths, start=1)]
    return agent(agent_id, turns=turns or len(paths) + 1, tool_calls=calls, answer=f"{agent_id} done")


def test_key_argument_is_the_path_or_the_pattern() -> None:
    assert key_argument("read_file", {"file_path": "a.py"}) == "a.py"
    assert key_argument("edit_file", {"file_path": "a.py", "old_str": "x", "new_str": "y"}) == "a.py"
    assert key_argument("list_directory", {"directory_path": "src"}) == "src"
    assert key_argument("list_directory", {}) == "."  # the workspace itself
    assert key_argument("grep", {"pattern": "TODO", "path": ""}) == "TODO"
    assert key_argument("search", {"query": "retry"}) == "retry"
    assert key_argument("write_file", {"content": "x"}) == ""


def test_same_paths_have_no_divergence() -> None:
    c = compare_agents([reads_then_answers("a", "x.py", "y.py"), reads_then_answers("b", "x.py", "y.py")])
    assert c.first_divergence is None
    assert c.rows == 3 and not c.by_call
    first = c.agents[0].at(1)
    assert first is not None and [(s.tool, s.argument, s.ok) for s in first.steps] == [("read_file", "x.py", True)]
    assert c.agents[0].at(3) is not None and c.agents[0].at(3).steps == ()  # the answering turn
    assert c.agents[0].at(4) is None


def test_outcomes_are_not_part_of_the_path() -> None:
    c = compare_agents([reads_then_answers("a", "x.py"), reads_then_answers("b", "x.py", ok=False)])
    assert c.first_divergence is None
    assert [s.ok for t in c.agents[1].turns for s in t.steps] == [False]


def test_paths_that_differ_at_turn_two() -> None:
    c = compare_agents([reads_then_answers("a", "x.py", "y.py"), reads_then_answers("b", "x.py", "z.py"),
                        reads_then_answers("c", "x.py", "y.py")])
    assert c.first_divergence == 2
    assert [a.agent_id for a in c.agents] == ["a", "b", "c"]


def test_a_different_tool_on_the_same_path_differs() -> None:
    a = agent("a", turns=2, tool_calls=[call("read_file", 1, file_path="x.py")])
    b = agent("b", turns=2, tool_calls=[call("get_file_info", 1, file_path="x.py")])
    assert compare_agents([a, b]).first_divergence == 1


def test_different_lengths_part_where_the_shorter_stops() -> None:
    short = reads_then_answers("a", "x.py")  # read, answer: 2 turns
    long = reads_then_answers("b", "x.py", "y.py")  # read, read, answer: 3 turns
    c = compare_agents([short, long])
    assert c.rows == 3
    assert c.first_divergence == 2  # a answered where b read y.py
    assert c.agents[0].at(3) is None
    # The same calls, but one agent took one more (empty) turn: they part at that turn.
    assert compare_agents([reads_then_answers("a", "x.py"), reads_then_answers("b", "x.py", turns=3)]).first_divergence == 3


def test_an_agent_that_never_ran_parts_at_once() -> None:
    dead = agent("dead", status="error", turns=0, answer="")
    assert compare_agents([dead, reads_then_answers("b", "x.py")]).first_divergence == 1


def test_several_calls_in_one_turn_keep_their_order() -> None:
    a = agent("a", turns=2, tool_calls=[call("read_file", 1, file_path="x.py"), call("read_file", 1, file_path="y.py")])
    b = agent("b", turns=2, tool_calls=[call("read_file", 1, file_path="y.py"), call("read_file", 1, file_path="x.py")])
    c = compare_agents([a, b])
    assert [s.argument for s in c.agents[0].at(1).steps] == ["x.py", "y.py"]
    assert c.first_divergence == 1


def test_runs_without_turn_numbers_align_call_by_call() -> None:
    old = agent("a", turns=3, tool_calls=[call("read_file", 0, file_path="x.py"), call("read_file", 0, file_path="y.py")])
    new = agent("b", turns=3, tool_calls=[call("read_file", 1, file_path="x.py"), call("list_directory", 2)])
    c = compare_agents([old, new])
    assert c.by_call and c.rows == 2
    assert c.first_divergence == 2
    assert c.agents[1].at(2).steps[0].argument == "."


def test_texts_per_turn_come_from_the_events() -> None:
    events = [
        TextDelta("a", "Let me ", at=0.5), TextDelta("a", "look.\nFirst the README.", at=0.6),
        TurnFinished("a", 1, at=1.0),
        ToolCallStarted("a", "c1", "read_file", {"file_path": "README"}, at=1.1),
        TurnFinished("a", 2, at=2.0),  # a turn with no text
        TextDelta("a", "It says hello.", at=2.5), TurnFinished("a", 3, at=3.0),
    ]
    texts = turn_texts(events)
    assert texts == {1: "Let me look.\nFirst the README.", 3: "It says hello."}
    a = agent("a", turns=3, tool_calls=[call("read_file", 1, file_path="README")])
    c = compare_agents([a, agent("b", turns=3)], {"a": texts})
    assert c.agents[0].at(1).text.startswith("Let me look.") and c.agents[0].at(2).text == ""
    assert c.agents[1].at(1).text == ""


@pytest.mark.parametrize("n", [0, 1, 5])
def test_two_to_four_agents(n: int) -> None:
    with pytest.raises(ValueError, match="two to 4"):
        compare_agents([reads_then_answers(str(i), "x.py") for i in range(n)])


def test_first_divergence_of_raw_paths() -> None:
    assert first_divergence([]) is None
    assert first_divergence([[(("read_file", "x"),)]]) is None
    assert first_divergence([[()], [()]]) is None
    assert first_divergence([[()], [(), ()]]) == 2
