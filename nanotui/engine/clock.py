"""Time as the engine records it: run ids and ISO 8601 UTC timestamps."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id() -> str:
    """``20261129-211500-3fa2c1``: sorts by start time; the random tail keeps ids unique."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
