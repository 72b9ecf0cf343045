"""What every wire protocol module shares: the API key from the environment, the request
timeout and the mapping of an HTTP status to a ProviderError."""

from __future__ import annotations

import os
from typing import Any

from nanotui.engine.agent.tool_defs import ToolDef
from nanotui.engine.errors import ConfigError, ProviderError
from nanotui.engine.roster.spec import ModelSpec

# Every request has a timeout; a stalled stream ends as an error, never a hang.
DEFAULT_REQUEST_TIMEOUT_S = 120.0


def api_key_for(spec: ModelSpec) -> str | None:
    """The key from the environment, or a one-line ConfigError naming the variable."""
    env = spec.key_env
    if env is None:
        return None
    key = os.environ.get(env)
    if not key:
        raise ConfigError(f"{env} is not set — needed by {spec.spec}")
    return key


def request_timeout(spec: ModelSpec) -> float:
    return float(spec.options.get("timeout", DEFAULT_REQUEST_TIMEOUT_S))


def http_error(status: int, message: str, hint: str = "", retry_after: str | float | None = None) -> ProviderError:
    """The ProviderError for an HTTP error status, the same for every protocol: keys
    redacted, 429/408/5xx retryable (honouring Retry-After), other client errors final."""
    from nanotui.engine.agent.retry import is_retryable_status, parse_retry_after
    from nanotui.engine.secrets import redact

    wait = parse_retry_after(retry_after) if isinstance(retry_after, str) else retry_after
    return ProviderError(
        redact(f"HTTP {status}: {message}{hint}"),
        status=status,
        retryable=is_retryable_status(status),
        retry_after=wait,
    )


def function_tools(tools: list[ToolDef]) -> list[dict[str, Any]]:
    """The tools as OpenAI-style function definitions (Chat Completions and Ollama take this shape)."""
    return [
        {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
        for t in tools
    ]
