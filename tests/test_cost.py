"""Cost is genai-prices' price for the normalised usage; reasoning is counted once."""

from __future__ import annotations

from decimal import Decimal

from genai_prices import Usage as GUsage
from genai_prices import calc_price

from nanotui.engine.roster.pricing import cost_usd, known_price
from nanotui.engine.usage import Usage
from tests.helpers import run_models
from tests.servers.script import Reply


def test_gpt5_mini_cost_counts_reasoning_once() -> None:
    usage = Usage(input_tokens=1200, cached_input_tokens=1000, output_tokens=300, reasoning_tokens=200)
    expected = calc_price(GUsage(input_tokens=1200, cache_read_tokens=1000, output_tokens=300),
                          model_ref="gpt-5-mini", provider_id="openai").total_price
    assert cost_usd("openai", "gpt-5-mini", usage) == float(expected)
    # By hand from the published prices: 200 fresh + 1000 cached input, 300 output (reasoning inside).
    by_hand = (Decimal(200) * Decimal("0.25") + Decimal(1000) * Decimal("0.025") + Decimal(300) * 2) / Decimal(10**6)
    assert Decimal(str(cost_usd("openai", "gpt-5-mini", usage))) == by_hand


async def test_streamed_usage_is_priced_the_same(openai_server) -> None:
    openai_server.script(
        "gpt-5-mini",
        Reply(text="done", input_tokens=1200, cached_tokens=1000, output_tokens=300, reasoning_tokens=200),
    )
    run = await run_models(["openai:gpt-5-mini"])
    agent = run.agents[0]
    assert agent.usage == Usage(1200, 1000, 0, 300, 200)
    assert agent.cost_usd == cost_usd("openai", "gpt-5-mini", agent.usage)


def test_unknown_price_is_none_and_local_is_free() -> None:
    assert cost_usd("openai", "no-such-model-zz", Usage(10, 0, 0, 10, 0)) is None
    assert cost_usd("openai-compat", "whatever", Usage(10, 0, 0, 10, 0)) is None
    assert cost_usd("ollama", "gpt-oss:20b", Usage(10, 0, 0, 10, 0)) == 0.0
    assert cost_usd("local", "qwen2.5-coder-1.5b", Usage(10, 0, 0, 10, 0)) == 0.0
    assert known_price("openai", "gpt-5-mini").input_mtok == 0.25
    assert cost_usd("openai-compat", "x", Usage(1_000_000), price_as="openai:gpt-5-mini") == 0.25
