"""Cost from normalised usage, priced by genai-prices' bundled (offline) data.

Local models cost 0.0. A model genai-prices does not know costs ``None``, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nanotui.engine.usage import Usage

# Providers whose models run on the user's own hardware: free by definition.
FREE_PROVIDERS = frozenset({"ollama", "local"})


@dataclass(frozen=True)
class Price:
    """Per-million-token prices in USD, for display."""

    input_mtok: float | None
    output_mtok: float | None


def price_source() -> str:
    import genai_prices

    return f"genai-prices {genai_prices.__version__}"


def _genai_usage(usage: Usage):  # type: ignore[no-untyped-def]
    from genai_prices import Usage as GUsage

    # genai-prices' input_tokens is the whole prompt, cache reads and writes included,
    # exactly like ours; output is priced once, reasoning inside it.
    return GUsage(
        input_tokens=usage.input_tokens,
        cache_read_tokens=usage.cached_input_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
    )


def cost_usd(provider: str, model: str, usage: Usage, *, price_as: str | None = None) -> float | None:
    """USD cost of ``usage`` on ``provider:model``; ``price_as`` overrides the price lookup
    (``"openai:gpt-5-mini"``) for endpoints that serve a known model under another name."""
    if provider in FREE_PROVIDERS and price_as is None:
        return 0.0
    lookup_provider, lookup_model = _lookup(provider, model, price_as)
    if lookup_provider is None:
        return None
    from genai_prices import calc_price

    try:
        calc = calc_price(_genai_usage(usage), model_ref=lookup_model, provider_id=lookup_provider)
    except LookupError:
        return None
    return float(calc.total_price)


def _lookup(provider: str, model: str, price_as: str | None) -> tuple[str | None, str]:
    if price_as:
        p, _, m = price_as.partition(":")
        return (p or None), m
    if provider in ("openai", "anthropic"):
        return provider, model
    return None, model


@lru_cache(maxsize=256)
def known_price(provider: str, model: str, price_as: str | None = None) -> Price | None:
    """$/Mtok for input and output, or ``None`` when the price is unknown."""
    if provider in FREE_PROVIDERS and price_as is None:
        return Price(0.0, 0.0)
    lookup_provider, lookup_model = _lookup(provider, model, price_as)
    if lookup_provider is None:
        return None
    from genai_prices import calc_price

    try:
        million = 1_000_000
        inp = calc_price(_genai_usage(Usage(input_tokens=million)), lookup_model, provider_id=lookup_provider)
        out = calc_price(_genai_usage(Usage(output_tokens=million)), lookup_model, provider_id=lookup_provider)
    except LookupError:
        return None
    return Price(float(inp.total_price), float(out.total_price))
