"""The domain layer imports without the TUI: nothing under nanotui/engine or nanotui/providers
may import Textual (the headless runner and the report must work without it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib, json, pkgutil, sys
import nanotui.engine, nanotui.providers
names, failed = [], {}
for package in (nanotui.engine, nanotui.providers):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        try:
            importlib.import_module(info.name)
            names.append(info.name)
        except ImportError as exc:  # an optional extra that is not installed
            failed[info.name] = str(exc)
print(json.dumps({"imported": names, "failed": failed,
                  "textual": sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))}))
"""


def test_engine_and_providers_never_import_textual() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert "nanotui.engine.agent.loop" in report["imported"] and "nanotui.providers.base" in report["imported"]
    assert "nanotui.engine.roster.tokens" in report["imported"]
    assert report["textual"] == [], f"Textual imported by the domain layer: {report['textual'][:5]}"
    # Every module is checked: one that failed to import could hide a Textual import.
    assert report["failed"] == {}, report["failed"]
