"""User-facing errors: one line, no traceback, never a secret."""

from __future__ import annotations

from collections.abc import Mapping


class NanotuiError(Exception):
    """An error whose message is fit to print as the single line a user sees."""


class ConfigError(NanotuiError):
    """Bad input: a flag, a file or a field. The message names it and what was expected.

    Errors about what the user asked for (a model, a task, a variable, a limit) carry the
    ``field`` in the engine's own words ("model", "workspace", "max_turns") with the
    ``value`` given and what was ``expected``; each front end words them with its own names
    (:meth:`worded`: the CLI says ``--model``, the app says "model"). Errors about a file
    field name the file in ``message`` and have no ``field``.
    """

    def __init__(
        self, message: str = "", *, field: str | None = None, value: object = None, expected: str | None = None
    ) -> None:
        self.message = message
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(self.worded())

    def worded(self, names: Mapping[str, str] | None = None) -> str:
        """The one line, naming the field as ``names`` says (the field itself if absent)."""
        if self.field is None:
            return self.message
        name = (names or {}).get(self.field, self.field)
        head = name if self.value is None else f"{name} {self.value!r}"
        parts = [p for p in (self.message, f"expected {self.expected}" if self.expected else "") if p]
        return f"{head}: {'; '.join(parts)}"


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
