"""Text from a model made safe where it enters: a lone UTF-16 surrogate (valid in JSON,
``"\\ud800"``, but not encodable as UTF-8) becomes U+FFFD, once, in the agent loop, so the
tools, the store, JSON and reports never meet it."""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (the same object when clean)."""
    try:
        text.encode("utf-8")  # the common case, in C: no copy is kept
    except UnicodeEncodeError:
        return _SURROGATE.sub(REPLACEMENT, text)
    return text


def safe_value(value: Any) -> Any:
    """:func:`safe_text` applied to every string in a JSON-like value (dict keys included)."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_value(k): safe_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [safe_value(v) for v in value]
    return value
