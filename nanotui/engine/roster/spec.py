"""Model specs: ``provider:model`` and everything needed to reach and price one model (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.errors import ConfigError

# provider -> wire protocol module (nanotui.providers.<protocol>)
PROVIDERS: dict[str, str] = {
    "openai": "openai_responses",
    "openai-compat": "openai_chat",
    "anthropic": "anthropic_messages",
    "ollama": "ollama_chat",
    "local": "local.llama",
}
# The SDKs' own environment variables (DESIGN §3).
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
OPTION_KEYS = frozenset(
    {
        "reasoning_effort",
        "think",
        "num_ctx",
        "max_tokens",
        "thinking_budget",
        "temperature",
        "emulate_tools",
        "threads",
        "timeout",
    }
)
ENTRY_KEYS = OPTION_KEYS | {"spec", "provider", "model", "display_name", "base_url", "api_key_env", "price_as"}


@dataclass(frozen=True)
class ModelSpec:
    """One model to run, fully resolved: where it is, how to reach it, and its options."""

    name: str  # the roster name or the spec text the user gave
    provider: str
    model: str
    display_name: str
    base_url: str | None = None
    api_key_env: str | None = None
    price_as: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def protocol(self) -> str:
        return PROVIDERS[self.provider]

    @property
    def vendor(self) -> str:
        """Who made the model (not who serves it): gpt-oss on Ollama is OpenAI's. A judge
        of the same vendor as a candidate is the self-preference case."""
        return vendor_of(self.provider, self.model)

    @property
    def key_env(self) -> str | None:
        """The environment variable holding this model's API key, if it needs one."""
        return self.api_key_env or KEY_ENV.get(self.provider)


def parse_spec(text: str, where: str | None = None, field: str = "model") -> tuple[str, str]:
    """``where`` names the source in errors (a roster file's field); without it the error is
    about what the user asked for, the ``field`` ("model", "judge") each front end words."""
    alternative = "" if where else " or a roster entry name"
    provider, sep, model = text.partition(":")
    known = ", ".join(p for p in PROVIDERS if p != "openai-compat")
    if not sep or not provider or not model:
        problem, expected = "", f"PROVIDER:MODEL (e.g. openai:gpt-5-mini){alternative}"
    elif provider not in PROVIDERS:
        problem, expected = f"unknown provider {provider!r}", f"one of {known}{alternative}"
    else:
        return provider, model
    if where:
        raise ConfigError(f"{where}: " + "; ".join(p for p in (problem, f"expected {expected}") if p))
    raise ConfigError(problem, field=field, value=text, expected=expected)


# Model-name prefixes -> the vendor that made the model, for models served by someone else.
VENDOR_PREFIXES = (
    ("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"), ("chatgpt", "openai"),
    ("claude", "anthropic"), ("gemini", "google"), ("gemma", "google"), ("llama", "meta"),
    ("qwen", "alibaba"), ("mistral", "mistral"), ("mixtral", "mistral"), ("deepseek", "deepseek"),
    ("phi", "microsoft"), ("granite", "ibm"),
)


def vendor_of(provider: str, model: str) -> str:
    name = model.lower().rpartition("/")[2]
    for prefix, vendor in VENDOR_PREFIXES:
        if name.startswith(prefix):
            return vendor
    return {"openai-compat": "openai"}.get(provider, provider)
