"""Keep API keys out of everything nanotui writes or shows (errors, history, reports)."""

from __future__ import annotations

import os
import re

# Environment variables whose values are secrets; roster entries add their own api_key_env.
SECRET_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OLLAMA_API_KEY")
_EXTRA_ENV: set[str] = set()
_KEY_PATTERNS = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,}|sk-ant-[A-Za-z0-9_\-]{6,})")
MASK = "[redacted]"


def register_secret_env(name: str) -> None:
    _EXTRA_ENV.add(name)


def redact(text: str) -> str:
    """``text`` with every known key value, and anything shaped like a key, masked."""
    if not text:
        return text
    for name in (*SECRET_ENV, *_EXTRA_ENV):
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, MASK)
            # Providers echo keys partly ("sk-abc...wxyz"): mask long prefixes too.
            if len(value) >= 12:
                text = text.replace(value[:8], MASK)
    return _KEY_PATTERNS.sub(MASK, text)
