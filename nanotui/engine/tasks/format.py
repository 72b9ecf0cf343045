"""Reading one task file and checking every field, so a broken file gives one line per
problem naming the file and the field, never a traceback.

Two spellings of the same fields:
- ``NAME.md``: TOML front matter between ``+++`` lines; the markdown body is the prompt.
- ``NAME.toml``: the same keys, with the prompt in ``prompt = \"\"\"...\"\"\"``.

Checks are numbered from 1 in messages (``checks[3]`` is the third ``[[checks]]``).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

from nanotui.engine.tasks.checks.kinds import CHECK_KINDS
from nanotui.engine.tasks.checks.spec import CheckSpec, Param
from nanotui.engine.tasks.checks.compare import field_path
from nanotui.engine.tasks.model import TASK_FILE_NAMES, VARIABLE_NAME, Task, substitute, variables_in
from nanotui.engine.agent.tool_defs import TOOL_NAMES
from nanotui.engine.files import MAX_DATA_BYTES, DataFileError, loads_toml

FRONT_MATTER = "+++"
TOP_KEYS = ("id", "title", "level", "prompt", "variables", "workspace", "read_only", "limits",
            "checks", "rubric", "tools", "reference")
LIMIT_KEYS = ("max_turns", "timeout_s")
TASK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
JSON_KINDS = ("any", "object", "array")


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return str(path)


class _Problems:
    def __init__(self, path: Path) -> None:
        self.where = display(path)
        self.lines: list[str] = []

    def add(self, field: str, message: str) -> None:
        self.lines.append(f"{self.where}: {field}: {message}")


def _type_name(value: Any) -> str:
    return {str: "string", int: "integer", float: "number", bool: "true/false", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)


def _split_front_matter(text: str, problems: _Problems) -> tuple[str, str] | None:
    lines = text.split("\n")
    if not lines or lines[0].strip() != FRONT_MATTER:
        problems.add("front matter", "expected the file to start with a '+++' line, then TOML, then a closing '+++' line")
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == FRONT_MATTER:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    problems.add("front matter", "no closing '+++' line after the opening one")
    return None


def _parse_toml(text: str, line_offset: int, field: str, problems: _Problems) -> dict[str, Any] | None:
    try:
        return loads_toml(text)
    except DataFileError as exc:
        problems.add(field, str(exc))
        return None
    except tomllib.TOMLDecodeError as exc:
        # tomllib counts lines from the start of the TOML; report the line in the file.
        message = re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + line_offset}", str(exc))
        problems.add(field, f"invalid TOML: {message}")
        return None


def read_task_data(path: Path, problems: _Problems) -> dict[str, Any] | None:
    """The task's fields as a dict (the ``.md`` body as ``prompt``), or None."""
    try:
        if path.stat().st_size > MAX_DATA_BYTES:
            problems.add("file", f"larger than {MAX_DATA_BYTES // (1024 * 1024)} MiB")
            return None
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        problems.add("file", f"cannot read ({exc.strerror or exc})")
        return None
    except UnicodeDecodeError:
        problems.add("file", "not UTF-8 text")
        return None
    text = text.replace("\r\n", "\n")
    if path.suffix == ".toml":
        return _parse_toml(text, 0, "toml", problems)
    parts = _split_front_matter(text, problems)
    if parts is None:
        return None
    front, body = parts
    data = _parse_toml(front, 1, "front matter", problems)
    if data is None:
        return None
    body = body.strip("\n").rstrip()
    if body.strip():
        if "prompt" in data:
            problems.add("prompt", "given twice: in the front matter and as the markdown body; keep one")
        data["prompt"] = body
    return data


def _default_id(path: Path) -> str:
    return path.parent.name if path.name in TASK_FILE_NAMES else path.stem


def _check_type(value: Any, types: tuple[type, ...], field: str, problems: _Problems) -> bool:
    if Param(types).type_ok(value):
        return True
    problems.add(field, f"expected {Param(types).type_names()}, got {_type_name(value)}")
    return False


def _relative_inside(text: str) -> bool:
    p = PurePosixPath(text.replace("\\", "/"))
    return bool(text.strip()) and not p.is_absolute() and ".." not in p.parts and not re.match(r"^[A-Za-z]:", text)


def _check_param(role: str, value: Any, field: str, defaults: dict[str, str], problems: _Problems,
                 workspace: Path | None, check_type: str) -> None:
    try:
        filled = substitute(value, defaults) if isinstance(value, str) else value
    except KeyError:
        return  # reported as an undefined variable
    if role == "regex" and filled is not None:
        try:
            re.compile(filled)
        except re.error as exc:
            problems.add(field, f"bad regex: {exc}")
    elif role == "path":
        if not _relative_inside(filled):
            problems.add(field, f"{filled!r} must be a path relative to the workspace root, without '..'")
        elif check_type == "file_unchanged":
            if workspace is None:
                problems.add(field, "file_unchanged needs a workspace fixture to compare with")
            elif workspace.is_dir() and not (workspace / filled).is_file():
                problems.add(field, f"{filled!r} is not a file in the workspace fixture")
    elif role == "tool":
        if filled not in TOOL_NAMES:
            problems.add(field, f"unknown tool {filled!r} (expected one of {', '.join(TOOL_NAMES)})")
    elif role == "field":
        if not filled or any(part == "" for part in field_path(filled)):
            problems.add(field, f"{filled!r} is not a field path (e.g. name, by_type.int, items.0)")
    elif role == "command":
        if isinstance(filled, list):
            if not filled or not all(isinstance(a, str) for a in filled):
                problems.add(field, "expected a non-empty array of strings")
        else:
            try:
                argv = shlex.split(filled)
            except ValueError as exc:
                problems.add(field, f"cannot split into arguments: {exc}")
                return
            if not argv:
                problems.add(field, "the command is empty")


def _parse_check(i: int, raw: Any, defaults: dict[str, str], workspace: Path | None,
                 problems: _Problems) -> CheckSpec | None:
    where = f"checks[{i}]"
    if not isinstance(raw, dict):
        problems.add(where, f"expected a table ([[checks]]), got {_type_name(raw)}")
        return None
    kinds = ", ".join(CHECK_KINDS)
    ctype = raw.get("type")
    if ctype is None:
        problems.add(f"{where}.type", f"missing (expected one of {kinds})")
        return None
    if ctype not in CHECK_KINDS:
        problems.add(f"{where}.type", f"unknown check type {ctype!r} (expected one of {kinds})")
        return None
    kind = CHECK_KINDS[ctype]
    before = len(problems.lines)
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("type", "name"):
            continue
        if key not in kind.params:
            hint = ""
            if key in TOP_KEYS:
                hint = "; a key written below a [[checks]] table belongs to it: move it above the first table"
            expected = ", ".join(kind.params) or "none"
            problems.add(f"{where}.{key}", f"unknown parameter for type '{ctype}' (expected: {expected}){hint}")
            continue
        param = kind.params[key]
        if _check_type(value, param.types, f"{where}.{key}", problems):
            _check_param(param.role, value, f"{where}.{key}", defaults, problems, workspace, ctype)
            params[key] = value
    for key, param in kind.params.items():
        if param.required and key not in raw:
            problems.add(f"{where}.{key}", f"missing (check type '{ctype}' needs it)")
    _check_values(ctype, params, where, problems)
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        problems.add(f"{where}.name", "expected a non-empty string")
        name = None
    if len(problems.lines) > before:
        return None
    return CheckSpec(ctype, name or kind.default_name({**params}), params)


def _check_values(ctype: str, params: dict[str, Any], where: str, problems: _Problems) -> None:
    """Ranges and shapes the type table alone cannot say."""
    if ctype == "is_json":
        if "kind" in params and params["kind"] not in JSON_KINDS:
            problems.add(f"{where}.kind", f"expected one of {', '.join(JSON_KINDS)}, got {params['kind']!r}")
        if "keys" in params and not all(isinstance(k, str) for k in params["keys"]):
            problems.add(f"{where}.keys", "expected an array of strings")
    for key in ("min_times", "max"):
        if key in params and params[key] < 1:
            problems.add(f"{where}.{key}", f"expected a number of at least 1, got {params[key]}")
    if "timeout_s" in params and params["timeout_s"] <= 0:
        problems.add(f"{where}.timeout_s", "expected a positive number of seconds")
    if "tolerance" in params and params["tolerance"] < 0:
        problems.add(f"{where}.tolerance", "expected a number of at least 0")
    if "args" in params and not all(isinstance(v, str) for v in params["args"].values()):
        problems.add(f"{where}.args", "expected a table of strings (tool arguments), e.g. { file_path = \"README.md\" }")


def _parse_variables(raw: Any, problems: _Problems) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add("variables", f"expected a table of name = default value, got {_type_name(raw)}")
        return {}
    out: dict[str, str] = {}
    for name, value in raw.items():
        if not VARIABLE_NAME.match(name):
            problems.add(f"variables.{name}", "a variable name is letters, digits and _, not starting with a digit")
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            problems.add(f"variables.{name}", f"expected a string default, got {_type_name(value)}")
        else:
            out[name] = str(value)
    return out


def _parse_limits(raw: Any, problems: _Problems) -> tuple[int | None, float | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        problems.add("limits", f"expected a table with {' and '.join(LIMIT_KEYS)}, got {_type_name(raw)}")
        return None, None
    for key in raw:
        if key not in LIMIT_KEYS:
            problems.add(f"limits.{key}", f"unknown key (expected {' or '.join(LIMIT_KEYS)})")
    turns, timeout = raw.get("max_turns"), raw.get("timeout_s")
    if turns is not None and (isinstance(turns, bool) or not isinstance(turns, int) or turns < 1):
        problems.add("limits.max_turns", f"expected a whole number of at least 1, got {turns!r}")
        turns = None
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        problems.add("limits.timeout_s", f"expected a positive number of seconds, got {timeout!r}")
        timeout = None
    return turns, None if timeout is None else float(timeout)


def _optional(data: dict[str, Any], key: str, types: tuple[type, ...], default: Any, problems: _Problems) -> Any:
    if key not in data:
        return default
    value = data[key]
    return value if _check_type(value, types, key, problems) else default


def _relative_path(data: dict[str, Any], key: str, base: Path, want_dir: bool, problems: _Problems) -> Path | None:
    value = _optional(data, key, (str,), None, problems)
    if value is None:
        return None
    try:
        path: Path = (base / value).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        problems.add(key, f"{value!r} cannot be resolved (a symlink loop?)")
        return None
    kind = "folder" if want_dir else "file"
    if key == "workspace" and not _inside(path, base):
        # Each agent copies the workspace: "/etc" or "../../.." would copy the machine.
        problems.add(key, f"{value!r} is outside the task's folder; the workspace must be a folder inside it")
    elif not path.exists():
        problems.add(key, f"{kind} {value!r} not found (paths are relative to the task file)")
    elif want_dir != path.is_dir():
        problems.add(key, f"{value!r} is not a {kind}")
    return path


def _inside(path: Path, base: Path) -> bool:
    try:
        folder = base.resolve()
    except (OSError, RuntimeError):
        return False
    return path == folder or folder in path.parents


def build_task(path: Path, data: dict[str, Any], origin: str, problems: _Problems) -> Task | None:
    for key in data:
        if key not in TOP_KEYS:
            problems.add(key, f"unknown key (expected one of {', '.join(TOP_KEYS)})")
    task_id = _optional(data, "id", (str,), _default_id(path), problems)
    if not TASK_ID.match(task_id):
        problems.add("id", f"{task_id!r}: use letters, digits, '-', '_' and '.', starting with a letter or digit")
    title = _optional(data, "title", (str,), task_id, problems)
    level = _optional(data, "level", (int,), 1, problems)
    if level < 0:
        problems.add("level", f"expected a whole number of at least 0, got {level}")
    prompt = _optional(data, "prompt", (str,), "", problems)
    if not prompt.strip() and (("prompt" not in data) or isinstance(data.get("prompt"), str)):
        where = "the markdown body after the closing '+++'" if path.suffix == ".md" else 'prompt = """..."""'
        problems.add("prompt", f"missing: write the prompt as {where}")
    variables = _parse_variables(data.get("variables"), problems)
    workspace = _relative_path(data, "workspace", path.parent, True, problems)
    reference = _relative_path(data, "reference", path.parent, False, problems)
    read_only = _optional(data, "read_only", (bool,), False, problems)
    rubric = _optional(data, "rubric", (str,), "", problems)
    tools = _optional(data, "tools", (list,), [], problems)
    for tool in tools:
        if tool not in TOOL_NAMES:
            problems.add("tools", f"unknown tool {tool!r} (expected one of {', '.join(TOOL_NAMES)})")
    max_turns, timeout_s = _parse_limits(data.get("limits"), problems)
    for key, text in (("prompt", prompt), ("rubric", rubric)):
        for name in sorted(variables_in(text) - set(variables)):
            problems.add(key, f"uses {{{{{name}}}}} but [variables] does not define it")
    raw_checks = data.get("checks", [])
    checks: list[CheckSpec] = []
    if not isinstance(raw_checks, list):
        problems.add("checks", f"expected an array of tables ([[checks]]), got {_type_name(raw_checks)}")
        raw_checks = []
    for i, raw in enumerate(raw_checks, start=1):
        if isinstance(raw, dict):
            for name in sorted(variables_in(raw) - set(variables)):
                problems.add(f"checks[{i}]", f"uses {{{{{name}}}}} but [variables] does not define it")
        spec = _parse_check(i, raw, variables, workspace, problems)
        if spec is not None:
            checks.append(spec)
    if problems.lines:
        return None
    return Task(
        id=task_id, title=title, level=level, prompt=prompt, variables=variables, workspace=workspace,
        read_only=read_only, max_turns=max_turns, timeout_s=timeout_s, checks=_unique_names(checks),
        rubric=rubric.strip(), source=path.resolve(), origin=origin, tools=list(tools), reference=reference,
    )


def _unique_names(checks: list[CheckSpec]) -> list[CheckSpec]:
    seen: dict[str, int] = {}
    out = []
    for c in checks:
        seen[c.name] = seen.get(c.name, 0) + 1
        out.append(c if seen[c.name] == 1 else CheckSpec(c.type, f"{c.name} ({seen[c.name]})", c.params))
    return out


def parse_task_file(path: Path, origin: str = "path") -> tuple[Task | None, list[str]]:
    """The task in ``path``, or None and the problems (one line each: file, field, what)."""
    problems = _Problems(path)
    if path.suffix not in (".md", ".toml"):
        problems.add("file", "a task file is NAME.md (TOML front matter + prompt) or NAME.toml")
        return None, problems.lines
    data = read_task_data(path, problems)
    if data is None:
        return None, problems.lines
    task = build_task(path, data, origin, problems)
    return task, problems.lines
