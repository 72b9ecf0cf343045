"""What the two OpenAI protocols share: the client, error mapping and tool schemas."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from nanotui.engine.errors import ProviderError
from nanotui.engine.models import ModelSpec
from nanotui.engine.secrets import redact
from nanotui.providers.base import api_key_for, http_error, request_timeout

REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")


def is_reasoning_model(model: str) -> bool:
    return model.startswith(REASONING_PREFIXES)


def http_module():
    """The HTTP library the SDKs are built on: openai 3.x and anthropic 2.x use httpx2."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # older SDKs
        import httpx

        return httpx


@lru_cache(maxsize=1)
def shared_ssl_context():
    """One verified SSL context for every client: building one costs ~20 ms (it loads the
    CA bundle), which would otherwise be paid by every agent."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def make_client(spec: ModelSpec, *, base_url: str | None = None, key_required: bool = True):
    import openai

    httpx = http_module()

    if key_required:
        key = api_key_for(spec)
    else:
        key = os.environ.get(spec.api_key_env) if spec.api_key_env else None
    timeout = request_timeout(spec)
    return openai.AsyncOpenAI(
        api_key=key or "not-needed",
        base_url=base_url,  # None: the SDK reads OPENAI_BASE_URL itself
        max_retries=0,  # the engine's RetryPolicy retries, the same way for every provider
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        http_client=openai.DefaultAsyncHttpxClient(verify=shared_ssl_context()),
    )


def map_error(exc: BaseException, spec: ModelSpec) -> ProviderError:
    """A ProviderError for any failure the OpenAI SDK or its HTTP library raises."""
    import openai

    httpx = http_module()

    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = _message(exc)
        hint = ""
        if status == 401:
            hint = f" (check {spec.key_env or 'the API key'})"
        elif status == 404:
            hint = f" (unknown model {spec.model!r} or wrong base URL)"
        return http_error(status, message, hint, exc.response.headers.get("retry-after"))
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("request timed out", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return ProviderError(redact(f"connection error: {cause}"), retryable=True)
    if isinstance(exc, openai.APIError):
        return ProviderError(redact(f"API error: {exc.message}"), retryable=False)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError("stream stalled: read timed out", retryable=True)
    if isinstance(exc, httpx.HTTPError):
        return ProviderError(redact(f"connection lost: {type(exc).__name__}: {exc}"), retryable=True)
    return ProviderError(redact(f"{type(exc).__name__}: {exc}"))


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(getattr(exc, "message", exc))


def sdk_exceptions() -> tuple[type[BaseException], ...]:
    import openai

    return (openai.OpenAIError, http_module().HTTPError)
