"""Startup benchmark (issue 13): ``nanotui`` to a first screen that lists the ladder, and a
headless ``nanotui run`` against a loopback server.

- ``startup_s``: the installed ``nanotui`` entry point (the one beside this Python, e.g. the
  venv's) is started in a pseudo-terminal of 160x48 with fresh temporary ``NANOTUI_*_DIR``
  folders and no provider keys; the time runs from the spawn to the moment the terminal
  output holds the home screen's task list with the ladder's first and last tasks (their
  titles, read from the built-in ladder). No fixed sleeps: the output is read as it comes.
  One untimed launch first (it writes the first-run files, compiles the bytecode into a
  private ``PYTHONPYCACHEPREFIX`` as any user's first launch or pip's install does, and
  warms the OS's file cache), then ``--runs`` timed ones: median and max. Target: max <= 0.8 s.
- ``reference_textual_app_s``: a bare Textual app (header, a table of the ladder's titles,
  footer) launched the same way, in turn with nanotui: the floor on this machine at this
  moment. The machine's speed drifts by half over minutes; this says which minute it was.
- ``headless_run_s``: ``nanotui run json-answer --model openai:gpt-5-mini --no-judge`` as a
  process, from spawn to exit, against a loopback OpenAI server (a child process) answering
  at once; median of ``--runs``. The issue asks for it to stay unchanged or get faster:
  compare the figure with the same command on the commit before (no target here).

``--baseline DIR`` also runs another checkout of nanotui (e.g. ``git archive COMMIT | tar -x
-C DIR``) with the same Python, launch for launch in turn with this one, so that both meet the
same machine load, and prints its figures as ``baseline_*`` (the result is this code's). Both
are then started the same way, ``python -c "from nanotui.cli import main; main()"`` with the
checkout first on ``PYTHONPATH``.

``--compile-nanotui`` drops nanotui's own bytecode after the untimed launches and turns
bytecode writing off: every timed launch compiles nanotui's modules from source, as an
editable install does under ``PYTHONDONTWRITEBYTECODE=1``.

Run: python benchmarks/bench_startup.py [--runs 5] [--baseline DIR] [--compile-nanotui]
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.loopback import ServerProcess
from benchmarks.machine import cpu_name, process_cpu_s

COLUMNS, ROWS = 160, 48
TARGET_S = 0.8
TIMEOUT_S = 30.0
# ANSI control sequences (CSI, OSC, and two-byte escapes): what is left is the text drawn.
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


# The floor: a bare Textual app (header, a table of the ladder's titles, footer) launched the
# same way. It tells how fast the machine is at the moment, and how much nanotui adds.
REFERENCE_APP = """
import sys
from textual.app import App
from textual.widgets import DataTable, Footer, Header

class Reference(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Lvl", "Task")
        for level, title in enumerate(sys.argv[1:], 1):
            table.add_row(str(level), title)

Reference().run()
"""


def entry_point() -> str:
    path = Path(sys.executable).with_name("nanotui")
    if not path.exists():
        found = shutil.which("nanotui")
        if found is None:
            raise SystemExit("no nanotui entry point beside this Python or on PATH: pip install -e .")
        return found
    return str(path)


def clean_env(dirs: Path) -> dict[str, str]:
    """No provider keys, base URLs or proxies; nanotui's four folders in ``dirs``."""
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_API_KEY", "_BASE_URL", "_PROXY", "_proxy")) and not k.startswith("NANOTUI_")}
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        folder = dirs / name.lower()
        folder.mkdir(exist_ok=True)
        env[f"NANOTUI_{name}_DIR"] = str(folder)
    env.update(TERM="xterm-256color", COLORTERM="truecolor", NO_PROXY="127.0.0.1,localhost",
               OLLAMA_HOST="http://127.0.0.1:9")  # no Ollama: the readiness probe fails at once
    env.pop("TEXTUAL", None)
    # Bytecode is cached as on a user's machine (pip compiles an installed package; Python
    # caches what it imports). With PYTHONDONTWRITEBYTECODE=1 (set on the machine this was
    # written on) an editable install compiles nanotui's modules from source on every launch,
    # about 0.2 s that no installed copy pays. The untimed first launch fills a private cache.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(dirs / "pycache")
    return env


def ladder_titles() -> list[str]:
    """The built-in ladder's task titles, in order."""
    from nanotui.engine.run.suite import load_suite
    from nanotui.engine.tasks.library import load_library

    titles = {t.id: t.title for t in load_library().tasks}
    return [titles[task_id] for task_id in load_suite("ladder").tasks]


def ladder_markers() -> list[str]:
    """The first and last titles of the built-in ladder, as Home lists them."""
    titles = ladder_titles()
    return [titles[0][:20], titles[-1][:20]]


def command(code: Path | None) -> list[str]:
    """The installed entry point, or ``code``'s nanotui run with this Python."""
    if code is None:
        return [entry_point()]
    return [sys.executable, "-c", "import sys; from nanotui.cli import main; sys.exit(main())"]


def code_env(env: dict[str, str], code: Path | None) -> dict[str, str]:
    return env if code is None else dict(env, PYTHONPATH=str(code))


def launch(exe: list[str], env: dict[str, str], markers: list[str]) -> tuple[float, float]:
    """Seconds from spawn to the markers on the terminal, and the CPU seconds nanotui's
    process used by then (less than the wall time when it waited, e.g. on a busy machine)."""
    import fcntl
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(exe, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                            close_fds=True)
    os.close(slave)
    seen = ""
    elapsed = None
    cpu = 0.0
    try:
        while time.perf_counter() - t0 < TIMEOUT_S:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                break
            seen += chunk.decode("utf-8", "replace")
            # keep a tail (markers never span more than a screen of output)
            text = ANSI.sub("", seen)
            if all(m in text for m in markers):
                elapsed = time.perf_counter() - t0
                cpu = process_cpu_s(proc.pid)
                break
            seen = seen[-200_000:]
    finally:
        try:
            os.write(master, b"\x11")  # ctrl+q
            proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        os.close(master)
    if elapsed is None:
        tail = ANSI.sub("", seen)[-400:]
        raise SystemExit(f"the home screen never listed the ladder ({markers}); last output: {tail!r}")
    return elapsed, cpu


def package_dir(env: dict[str, str]) -> Path:
    """Where the nanotui that this Python runs with ``env`` (its ``PYTHONPATH``) is imported from."""
    out = subprocess.run([sys.executable, "-c", "import nanotui; print(nanotui.__file__)"], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    return Path(out).parent


def forget_bytecode(prefix: Path, package: Path) -> None:
    """Drop a package's cached bytecode from the ``PYTHONPYCACHEPREFIX`` tree."""
    shutil.rmtree(prefix / package.relative_to(package.anchor), ignore_errors=True)


def headless_run(exe: list[str], env: dict[str, str], workdir: Path) -> float:
    (workdir / "out.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    result = subprocess.run([*exe, "run", "json-answer", "--model", "openai:gpt-5-mini", "--no-judge", "--yes",
                             "--json", str(workdir / "out.json")], env=env, capture_output=True, text=True,
                            timeout=120)
    elapsed = time.perf_counter() - t0
    if not (workdir / "out.json").exists():
        raise SystemExit(f"nanotui run failed ({result.returncode}): {result.stderr.strip()[-400:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure in turn with this one")
    parser.add_argument("--compile-nanotui", action="store_true",
                        help="compile nanotui's own modules from source on every launch, as an editable install "
                             "does under PYTHONDONTWRITEBYTECODE=1 (the rest stays cached)")
    args = parser.parse_args()
    markers = ladder_markers()
    reference = [sys.executable, "-c", REFERENCE_APP, *ladder_titles()]
    load_start = os.getloadavg()[0]
    here = Path(__file__).resolve().parents[1]
    codes: list[Path | None] = [here, args.baseline.resolve()] if args.baseline else [None]
    starts: dict[Path | None, list[tuple[float, float]]] = {c: [] for c in codes}
    runs: dict[Path | None, list[float]] = {c: [] for c in codes}
    floor: list[float] = []
    with tempfile.TemporaryDirectory(prefix="nanotui-startup-") as tmp, \
            ServerProcess(["gpt-5-mini"], text='{"answer": "plum"}') as url:
        env = clean_env(Path(tmp))
        run_env = dict(env, OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=url)
        # Untimed: first-run files and the bytecode cache (the headless run imports the SDKs).
        first = launch(command(codes[0]), code_env(env, codes[0]), markers)[0]
        for code in codes[1:]:
            launch(command(code), code_env(env, code), markers)
        for code in codes:
            headless_run(command(code), code_env(run_env, code), Path(tmp))
        launch(reference, env, markers)
        if args.compile_nanotui:
            for code in codes:
                forget_bytecode(Path(env["PYTHONPYCACHEPREFIX"]), package_dir(code_env(env, code)))
            env["PYTHONDONTWRITEBYTECODE"] = run_env["PYTHONDONTWRITEBYTECODE"] = "1"
        for _ in range(args.runs):
            for code in codes:
                starts[code].append(launch(command(code), code_env(env, code), markers))
            floor.append(launch(reference, env, markers)[0])
        for _ in range(args.runs):
            for code in codes:
                runs[code].append(headless_run(command(code), code_env(run_env, code), Path(tmp)))
    load = os.getloadavg()[0]
    print(f"{'cpu':32} {cpu_name()}")
    print(f"{'load_average_1min_start_end':32} {load_start:.2f} {load:.2f}")
    print(f"{'terminal':32} {COLUMNS}x{ROWS}")
    print(f"{'waits_for':32} {' + '.join(markers)}")
    cached = "all but nanotui's own modules" if args.compile_nanotui else "all"
    print(f"{'bytecode':32} {cached} cached by the untimed first launch (PYTHONPYCACHEPREFIX)")
    print(f"{'startup_first_launch_s':32} {first:.3f}")
    for code in codes:
        prefix = "baseline_" if code is not None and code == codes[-1] and len(codes) > 1 else ""
        times = [t for t, _ in starts[code]]
        print(f"{prefix + 'startup_s_median':32} {statistics.median(times):.3f}")
        print(f"{prefix + 'startup_s_max':32} {max(times):.3f}")
        print(f"{prefix + 'startup_s_each':32} {' '.join(f'{t:.3f}' for t in times)}")
        print(f"{prefix + 'startup_cpu_s_median':32} {statistics.median(c for _, c in starts[code]):.3f}")
        print(f"{prefix + 'headless_run_s_median':32} {statistics.median(runs[code]):.3f}")
        print(f"{prefix + 'headless_run_s_each':32} {' '.join(f'{t:.3f}' for t in runs[code])}")
    print(f"{'reference_textual_app_s_median':32} {statistics.median(floor):.3f}")
    print(f"{'reference_textual_app_s_each':32} {' '.join(f'{t:.3f}' for t in floor)}")
    if args.baseline:
        print(f"{'launched_as':32} python -c, each checkout first on PYTHONPATH")
        print(f"{'baseline':32} {args.baseline}")
    times = [t for t, _ in starts[codes[0]]]
    ok = max(times) <= TARGET_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
