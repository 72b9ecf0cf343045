"""``nanotui models``: the roster with readiness, the fix for each row, and $/Mtok."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from nanotui.cli import main


def _dead_ollama(monkeypatch) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        host = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("OLLAMA_HOST", host)
    return host


def test_no_keys_no_ollama_every_row_says_why_and_what_to_do(monkeypatch) -> None:
    host = _dead_ollama(monkeypatch)
    # The real entry point in a fresh interpreter, as a user runs it.
    proc = subprocess.run([sys.executable, "-m", "nanotui", "models"], capture_output=True, text=True,
                          timeout=30, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    header = lines[0]
    for column in ("name", "spec", "display name", "in $/Mtok", "out $/Mtok", "status", "why", "what to do"):
        assert column in header
    rows = {line.split()[0]: line for line in lines[2:] if line.strip() and not line.startswith(tuple("0123456789"))}
    haiku = rows["claude-3-haiku"]
    assert "anthropic:claude-3-haiku-20240307" in haiku and "Claude 3 Haiku" in haiku
    assert "$0.25" in haiku and "$1.25" in haiku
    assert "missing key" in haiku and "export ANTHROPIC_API_KEY=" in haiku
    assert "missing key" in rows["gpt-5"] and "OPENAI_API_KEY" in rows["gpt-5"]
    oss = rows["gpt-oss-20b"]
    assert "not reachable" in oss and host in oss and "`ollama serve`" in oss and "$0" in oss
    assert lines[-1].split()[0].isdigit() and "ready" in lines[-1]


def test_json_output_and_user_roster(monkeypatch, capsys) -> None:
    _dead_ollama(monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    config = Path(os.environ["NANOTUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "roster.toml").write_text(
        '[models.gpt-5-nano]\nspec = "openai:gpt-5-nano"\ndisplay_name = "nano, my way"\nreasoning_effort = "low"\n'
        '[models.mystery]\nspec = "openai:gpt-mystery"\n'
    )
    assert main(["models", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sources"] == ["built-in", str(config / "roster.toml")]
    models = {m["name"]: m for m in data["models"]}
    assert models["gpt-5-nano"]["display_name"] == "nano, my way" and models["gpt-5-nano"]["ready"] is True
    assert models["mystery"]["state"] == "price unknown" and models["mystery"]["ready"] is True
    assert models["mystery"]["price_in"] is None
    assert models["claude-3-haiku"]["ready"] is False


def test_unknown_price_shows_as_question_mark(monkeypatch, capsys) -> None:
    _dead_ollama(monkeypatch)
    config = Path(os.environ["NANOTUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "roster.toml").write_text('[models.mystery]\nspec = "openai:gpt-mystery"\n')
    assert main(["models"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("mystery "))
    assert row.split()[3:5] == ["?", "?"]


def test_broken_user_roster_is_one_line(monkeypatch, capsys) -> None:
    config = Path(os.environ["NANOTUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "roster.toml").write_text("[models.x]\nspec = 'nope'\n")
    assert main(["models"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "roster.toml" in err and "Traceback" not in err
