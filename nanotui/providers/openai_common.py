"""What the two OpenAI protocols share: the client, error mapping and tool schemas."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from nanotui.engine.errors import ProviderError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.usage import Usage
from nanotui.providers.base import api_key_for, request_timeout
from nanotui.providers.sdk_errors import http_module, map_sdk_error

REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")


def is_reasoning_model(model: str) -> bool:
    return model.startswith(REASONING_PREFIXES)


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

    def hint(status: int) -> str:
        if status == 401:
            return f" (check {spec.key_env or 'the API key'})"
        if status == 404:
            return f" (unknown model {spec.model!r} or wrong base URL)"
        return ""

    return map_sdk_error(exc, openai, spec, hint)


def sdk_exceptions() -> tuple[type[BaseException], ...]:
    import openai

    return (openai.OpenAIError, http_module().HTTPError)


def usage_from(u: Any, prompt: str, completion: str) -> Usage:
    """Normalised usage from either OpenAI protocol: Chat Completions names the counts
    ``prompt_tokens``/``completion_tokens``, Responses ``input_tokens``/``output_tokens``;
    both put cached and reasoning tokens in ``<name>_details``."""
    if u is None:
        return Usage()
    cached = getattr(getattr(u, f"{prompt}_details", None), "cached_tokens", 0) or 0
    reasoning = getattr(getattr(u, f"{completion}_details", None), "reasoning_tokens", 0) or 0
    return Usage(
        input_tokens=getattr(u, prompt, 0) or 0,
        cached_input_tokens=cached,
        output_tokens=getattr(u, completion, 0) or 0,
        reasoning_tokens=reasoning,
    )
