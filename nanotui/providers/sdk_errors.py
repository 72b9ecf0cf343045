"""Failures of the OpenAI and Anthropic SDKs as ProviderErrors. Both SDKs are generated from
the same template and share one exception hierarchy (APIStatusError, APITimeoutError,
APIConnectionError, APIError), so one mapping serves both; each adds its own hints."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from nanotui.engine.errors import ProviderError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import redact
from nanotui.providers.base import http_error, request_timeout


def http_module() -> ModuleType:
    """The HTTP library the SDKs are built on (openai 3.x and anthropic 2.x use httpx2):
    errors while a stream is read come from it unwrapped."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # older SDKs
        import httpx

        return httpx


def api_message(exc: Any) -> str:
    """The message in an error body (``{"error": {"message": ...}}``), else the SDK's own."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(getattr(exc, "message", exc))


def map_sdk_error(
    exc: BaseException, sdk: ModuleType, spec: ModelSpec, status_hint: Callable[[int], str]
) -> ProviderError:
    """A ProviderError for anything ``sdk`` (the ``openai`` or ``anthropic`` module) or its
    HTTP library raises; ``status_hint`` adds what to do about an HTTP status."""
    httpx = http_module()
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        return http_error(status, api_message(exc), status_hint(status), exc.response.headers.get("retry-after"))
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderError("request timed out", retryable=True)
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderError(redact(f"connection error: {exc.__cause__ or exc}"), retryable=True)
    if isinstance(exc, sdk.APIError):
        return ProviderError(redact(f"API error: {exc.message}"), retryable=False)
    if isinstance(exc, httpx.TimeoutException):
        seconds = request_timeout(spec)
        return ProviderError(f"stream stalled: nothing for {seconds:g} s, request timed out", retryable=True)
    if isinstance(exc, httpx.HTTPError):
        return ProviderError(redact(f"connection lost: {type(exc).__name__}: {exc}"), retryable=True)
    return ProviderError(redact(f"{type(exc).__name__}: {exc}"))
