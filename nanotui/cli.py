"""The ``nanotui`` entry point: the TUI by default, subcommands for headless work."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

from nanotui import __version__
from nanotui.engine.errors import ConfigError, NanotuiError

# Each module has add_parser(subparsers) and run(args) -> int.
COMMAND_MODULES = ("run", "models", "tasks", "history", "show", "report", "replay")
# How the CLI names the fields the engine's errors are about (nanotui.engine.errors.ConfigError).
FLAG_NAMES = {
    "model": "--model",
    "judge": "--judge",
    "workspace": "--workspace",
    "var": "--var",
    "prompt": "--prompt",
    "task": "TASK",
    "max_turns": "--max-turns",
    "suite": "--suite",
    "resume": "--resume",
    "timeout": "--timeout",
}


class OneLineParser(argparse.ArgumentParser):
    """Bad flags give one line and exit 2, never the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="nanotui",
        description="Run one agentic task on many models at once and rank them on performance, speed and cost.",
    )
    parser.add_argument("--version", action="version", version=f"nanotui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"nanotui.commands.{name}")
        p = module.add_parser(sub)
        p.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # Plain `nanotui` opens the app: building every subcommand's parser first would import
    # their modules for nothing and delay the first frame.
    args = build_parser().parse_args(argv) if argv else argparse.Namespace(handler=None)
    try:
        if getattr(args, "handler", None) is None:
            # No garbage collection until the first frame (the app turns it back on): the
            # imports and Home's widgets are long-lived; collections took 0.02-0.05 s before.
            gc.disable()
            from nanotui.ui.app import run_app

            return run_app()
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"nanotui: error: {exc.worded(FLAG_NAMES)}", file=sys.stderr)
        return 2
    except NanotuiError as exc:
        print(f"nanotui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nanotui: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
