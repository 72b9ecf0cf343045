"""One retry policy for every provider: 429, 5xx and connection errors are retried with
exponential backoff and jitter, honouring Retry-After, bounded in tries and total wait.
A 429 gets more tries than a failure: the provider is pacing us, not broken, and the run's
scheduler lowers the concurrency meanwhile. 401/403/404 and other client errors fail at once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC

from nanotui.engine.errors import ProviderError


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # including the first
    max_rate_limited_attempts: int = 10  # when the last refusal was a 429; still within max_total_wait_s
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    max_total_wait_s: float = 60.0
    jitter: float = 0.25  # +-25 %

    def delay(self, attempt: int, error: ProviderError, waited_s: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
        limit = self.max_rate_limited_attempts if error.status == 429 else self.max_attempts
        if not error.retryable or error.mid_stream or attempt >= limit:
            return None
        if error.retry_after is not None:
            wait = max(0.0, min(error.retry_after, self.max_delay_s))
        else:
            wait = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
            wait *= 1.0 + random.uniform(-self.jitter, self.jitter)
        if waited_s + wait > self.max_total_wait_s:
            return None
        return wait


def is_retryable_status(status: int | None) -> bool:
    return status is not None and (status == 429 or status == 408 or status >= 500)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
