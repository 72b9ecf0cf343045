"""The command check: model-written code, so it gets a subprocess with a
timeout, a scrubbed environment and, where the OS allows it, no network.

Limits, stated plainly:
- Network isolation uses a new network namespace (``unshare -n``, or ``unshare -rn`` for
  a non-root user where unprivileged user namespaces are enabled; Linux only). Inside it
  there is not even a loopback interface. Where neither works the command still runs, the
  check's detail says "network not isolated", and proxy variables pointing at a closed
  port only stop clients that honour them (pip, urllib, requests), not raw sockets.
- The environment is built from scratch: PATH, a temporary HOME and TMPDIR, a UTF-8
  locale, and Python settings; no API keys, no proxies of the user's, no tokens.
- It is not a security sandbox: the code runs as the user, can read files the user can
  read and is stopped by the timeout (its whole process group is killed), not by
  resource limits.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nanotui.engine.secrets import redact
from nanotui.engine.tasks.checks.compare import preview
from nanotui.engine.tasks.checks.spec import CheckContext

OUTPUT_CAP_BYTES = 64 * 1024
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: connections are refused


@dataclass(frozen=True)
class CommandOutcome:
    exit_code: int | None
    output: str  # stdout and stderr interleaved, at most OUTPUT_CAP_BYTES (the end kept)
    timed_out: bool
    isolated: bool
    isolation_note: str = ""
    error: str = ""  # the command could not be started

    def tail(self, chars: int) -> str:
        text = self.output.strip()
        return text if len(text) <= chars else "…" + text[-chars:]


def command_argv(command: str | list[str]) -> list[str]:
    """The argv for a check's ``command``; ``python``/``python3`` mean the interpreter
    running nanotui, so the check works the same in any install."""
    argv = shlex.split(command) if isinstance(command, str) else [str(c) for c in command]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


@lru_cache(maxsize=1)
def network_isolation() -> tuple[list[str], str]:
    """The prefix that runs a command without network, or ``[]`` and why not."""
    if not sys.platform.startswith("linux"):
        return [], "network not isolated: needs Linux network namespaces"
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "network not isolated: `unshare` is not installed"
    for prefix in ([unshare, "-n"], [unshare, "-r", "-n"]):
        try:
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix, ""
    return [], "network not isolated: this user may not create network namespaces"


def scrubbed_env(home: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        "PIP_NO_INDEX": "1",
        "NO_COLOR": "1",
    }
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = DEAD_PROXY
    if sys.platform == "win32":  # Python needs these to start on Windows
        for name in ("SYSTEMROOT", "COMSPEC"):
            if name in os.environ:
                env[name] = os.environ[name]
    return env


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def run_isolated(argv: list[str], cwd: Path, timeout_s: float) -> CommandOutcome:
    if not argv:
        return CommandOutcome(None, "", False, False, error="empty command")
    prefix, note = network_isolation()
    with tempfile.TemporaryDirectory(prefix="nanotui-check-home-") as home, tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(
                [*prefix, *argv],
                cwd=cwd,
                env=scrubbed_env(Path(home)),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # one process group, so a timeout kills its children too
            )
        except OSError as exc:
            return CommandOutcome(None, "", False, bool(prefix), note,
                                  error=f"cannot start {argv[0]!r}: {exc.strerror or exc}")
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            proc.wait()
        else:
            _kill_group(proc)  # children left running in the background
        size = out.seek(0, os.SEEK_END)
        out.seek(max(0, size - OUTPUT_CAP_BYTES))
        output = out.read().decode("utf-8", errors="replace")
    return CommandOutcome(None if timed_out else proc.returncode, output, timed_out, bool(prefix), note)


def check_command(ctx: CheckContext, p: dict[str, Any]) -> tuple[bool, str]:
    outcome = run_isolated(command_argv(p["command"]), ctx.workspace_root, float(p["timeout_s"]))
    note = "" if outcome.isolated else f" [{outcome.isolation_note}]"
    tail = redact(outcome.tail(400))
    if outcome.error:
        return False, outcome.error + note
    if outcome.timed_out:
        return False, f"timed out after {p['timeout_s']:g} s{note}: {preview(tail, 300)}"
    if outcome.exit_code != p["expect_exit"]:
        return False, f"exit {outcome.exit_code}, expected {p['expect_exit']}{note}: {preview(tail, 300)}"
    pattern = p.get("output_regex")
    if pattern and not re.search(pattern, outcome.output):
        return False, f"exit {outcome.exit_code} but the output does not match /{pattern}/{note}: {preview(tail, 300)}"
    return True, f"exit {outcome.exit_code}{note}"
