"""User-facing errors: one line, no traceback, never a secret."""

from __future__ import annotations


class NanotuiError(Exception):
    """An error whose message is fit to print as the single line a user sees."""


class ConfigError(NanotuiError):
    """Bad input: a flag, a file or a field. The message names it and what was expected."""


class ProviderError(Exception):
    """A failed provider request, classified for the retry policy.

    ``status`` is the HTTP status when there was one; ``retryable`` says whether
    the same request may succeed later (429, 5xx, connection trouble).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        mid_stream: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.mid_stream = mid_stream


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """``"did you mean X?"`` (or ``"X or Y"``) for a misspelt name, or ``""`` when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(dict.fromkeys(choices)), n=2, cutoff=0.75)
    return f"did you mean {' or '.join(close)}?" if close else ""
