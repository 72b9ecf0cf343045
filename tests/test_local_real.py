"""One real task on the real on-device model, end to end: assembly and verification of the
model from the installed parts, the llama.cpp runtime in its child process, emulated tool calls, the
task's checks. Slow (a model load and ~10 s of generation on 2 cores); runs when the
``[local]`` extra is installed:  python -m pytest -q -m slow
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nanotui.providers.local.llama import runtime_installed
from nanotui.providers.local.model_file import PIP_LOCAL, QWEN_CODER_1_5B, assembled_path, missing_parts

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not runtime_installed(), reason=f"xllamacpp not installed ({PIP_LOCAL})"),
    pytest.mark.skipif(bool(missing_parts(QWEN_CODER_1_5B)), reason=f"model parts not installed ({PIP_LOCAL})"),
]


@pytest.fixture
def assembled_model_is_removed_after():
    yield
    # The test's cache dir is temporary, but pytest keeps recent ones: do not leave 1.1 GB.
    shutil.rmtree(assembled_path(QWEN_CODER_1_5B).parent, ignore_errors=True)


def test_basic_read_on_the_on_device_model(isolated_cwd: Path, assembled_model_is_removed_after, capsys) -> None:
    from nanotui.cli import main

    out = isolated_cwd / "out.json"
    code = main(["run", "basic-read", "--model", "local:qwen2.5-coder-1.5b", "--json", str(out)])
    assert code == 0, capsys.readouterr().err
    [agent] = json.loads(out.read_text())["agents"]
    assert agent["status"] == "ok", agent["error"]
    assert agent["emulated_tools"] is True
    assert agent["tool_calls"][0]["call_id"] == "emu_1" and agent["tool_calls"][0]["name"] == "read_file"
    assert {c["name"]: c["passed"] for c in agent["checks"]} == {
        "read the file with read_file": True,
        "names the codename": True,
        "replies with the codename alone": True,
    }
    assert agent["final_answer"] == "AMBER-FALCON-7"
    assert agent["cost_usd"] == 0.0
    metrics = agent["metrics"]
    assert metrics["load_s"] > 0 and metrics["gen_tokens_per_s"] > 0 and metrics["prompt_tokens_per_s"] > 0
    assert agent["usage"]["input_tokens"] > agent["usage"]["cached_input_tokens"] > 0  # step 2 reused step 1's KV cache
    # The model was assembled into the (test's) cache dir and verified.
    path = assembled_path(QWEN_CODER_1_5B)
    assert path.stat().st_size == QWEN_CODER_1_5B.size
    assert path.with_name(path.name + ".verified.json").is_file()
