"""Keep API keys out of everything nanotui writes or shows (errors, history, reports, screen).

Two tools: :func:`redact` masks keys in a whole string; :class:`StreamRedactor` does the
same for text that arrives in pieces (a model echoing a key one character per delta), by
holding back the tail that could still become a key until it is safe to let it go.
"""

from __future__ import annotations

import os
import re
from typing import Any

# The providers' own key variables; roster entries add theirs with register_secret_env().
SECRET_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OLLAMA_API_KEY")
_EXTRA_ENV: set[str] = set()
_KEY_CHARS = r"A-Za-z0-9_\-"
# Anything shaped like a key, whole: "sk-proj-…" and "sk-ant-…" are both one run of key characters.
_KEY_PATTERN = re.compile(rf"\bsk-[{_KEY_CHARS}]{{6,}}")
# The end of a text that may be the start of a key-shaped run ("s", "sk", "sk-…").
_KEY_TAIL = re.compile(rf"\bs(?:k(?:-[{_KEY_CHARS}]*)?)?\Z")
MASK = "[redacted]"
MIN_SECRET = 4  # shorter values are not treated as secrets (they would mask ordinary words)
PREFIX_LEN = 8  # providers echo keys partly ("sk-abc12...wxyz"): a long key's prefix is masked too
MAX_HOLD = 4096  # a key-shaped run longer than this is masked as it goes, not held for ever


def register_secret_env(name: str) -> None:
    """Treat the value of environment variable ``name`` as a secret (a roster's ``api_key_env``)."""
    _EXTRA_ENV.add(name)


def secret_values() -> list[str]:
    """The key values in the environment right now, longest first."""
    values = {os.environ.get(name) for name in (*SECRET_ENV, *sorted(_EXTRA_ENV))}
    return sorted((v for v in values if v and len(v) >= MIN_SECRET), key=len, reverse=True)


def redact(text: str, values: list[str] | None = None) -> str:
    """``text`` with every known key value, and anything shaped like a key, masked whole."""
    if not text:
        return text
    # Key-shaped runs first: masking a known prefix first would leave the rest of the key.
    if "sk-" in text:
        text = _KEY_PATTERN.sub(MASK, text)
    for value in secret_values() if values is None else values:
        if value in text:
            text = text.replace(value, MASK)
        if len(value) >= 12 and value[:PREFIX_LEN] in text:
            # A partial echo: mask the prefix and whatever key characters follow it.
            text = re.sub(re.escape(value[:PREFIX_LEN]) + f"[{_KEY_CHARS}]*", MASK, text)
    return text


def scrub(value: Any) -> Any:
    """``value`` with :func:`redact` applied to every string in it, dict keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


class StreamRedactor:
    """One channel of one agent (its text, or its reasoning): :meth:`feed` each delta and
    emit what it returns, then :meth:`flush` when the stream ends. The concatenation of
    what comes out is ``redact`` of what went in, and no piece ever holds part of a key."""

    __slots__ = ("_held", "_masking", "_start", "_values")

    def __init__(self, values: list[str] | None = None) -> None:
        self._values = secret_values() if values is None else values
        self._held = ""
        self._masking = False  # inside a key-shaped run already masked (longer than MAX_HOLD)
        # Every key starts with one of these: text without them needs no work (the hot path).
        firsts = {v[0] for v in self._values} | {"s"}
        self._start = re.compile("[" + "".join(re.escape(c) for c in sorted(firsts)) + "]")

    def feed(self, piece: str) -> str:
        if self._masking:
            piece = piece.lstrip(_KEY_RUN)
            self._masking = not piece
            if not piece:
                return ""
        text = self._held + piece if self._held else piece
        if self._start.search(text) is None:
            self._held = ""
            return text
        cut = self._safe_end(text)
        if cut == len(text):
            self._held = ""
            return redact(text, self._values) if text else text
        if len(text) - cut > MAX_HOLD:
            # A run of key characters that never ends: mask it now and keep masking its rest.
            self._held, self._masking = "", True
            return redact(text[:cut], self._values) + MASK
        self._held = text[cut:]
        return redact(text[:cut], self._values) if cut else ""

    def flush(self) -> str:
        """What is still held back, made safe: the stream ended (or broke) mid-way."""
        held, self._held, self._masking = self._held, "", False
        if held and any(v.startswith(held) for v in self._values) and len(held) >= 3:
            return MASK  # the start of a real key, cut short
        return redact(held, self._values)

    def _safe_end(self, text: str) -> int:
        """Where the part of ``text`` that can no longer turn into a key ends."""
        cut = len(text)
        for value in self._values:
            tail = text[-len(value):]
            offset = len(text) - len(tail)
            i = tail.find(value[0])
            while i >= 0:
                # Only where a key can start (at a word boundary, as _KEY_PATTERN does): an
                # "s" ending "finishes" is not held back, so a stalled stream shows it.
                start = offset + i
                if (start == 0 or text[start - 1] not in _KEY_RUN) and value.startswith(tail[i:]):
                    cut = min(cut, start)
                    break
                i = tail.find(value[0], i + 1)
        m = _KEY_TAIL.search(text, max(0, cut - MAX_HOLD - 8))
        if m is not None:
            cut = min(cut, m.start())
        # Never cut through a whole key: it would come out in two halves, neither masked.
        for value in self._values:
            start = text.find(value, max(0, cut - len(value)))
            if 0 <= start < cut < start + len(value):
                cut = start
        return cut


_KEY_RUN = "".join(chr(c) for c in range(128) if re.match(f"[{_KEY_CHARS}]", chr(c)))
