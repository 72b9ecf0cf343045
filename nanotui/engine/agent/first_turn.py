"""The estimated cost of an agent's first turn, shown before a run starts: the system prompt,
the five tool definitions and the task prompt, counted with the offline tokenizer and priced
at the model's input price. It lives with the agent because it is made of the agent's prompt
and tools; the tokenizer and prices below it come from the roster."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from nanotui.engine.agent.prompt import SYSTEM_PROMPT
from nanotui.engine.agent.tool_defs import TOOL_DEFS
from nanotui.engine.roster.tokens import TokenizerUnavailable, count_tokens, encoding_for, load_encoding

if TYPE_CHECKING:
    import tiktoken

    from nanotui.engine.roster.spec import ModelSpec


def tool_schemas_text() -> str:
    """The five tool definitions as the JSON a provider sends (close enough for an estimate)."""
    return json.dumps(
        [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in TOOL_DEFS]
    )


def first_turn_tokens(prompt: str, encoding: tiktoken.Encoding | None = None) -> int:
    """Estimated prompt tokens of an agent's first turn: system prompt + tools + task prompt."""
    enc = encoding or load_encoding()
    return count_tokens(SYSTEM_PROMPT, enc) + count_tokens(tool_schemas_text(), enc) + count_tokens(prompt, enc)


def first_turn_min_cost(spec: ModelSpec, prompt: str) -> float | None:
    """Estimated minimum USD cost of the task's first turn on ``spec``: its prompt tokens at
    the model's input price (output comes on top). ``None`` when the price is unknown or the
    tokenizer is unavailable. Loads the tokenizer: call it off the UI thread."""
    from nanotui.engine.roster.pricing import known_price

    price = known_price(spec.provider, spec.model, spec.price_as)
    if price is None or price.input_mtok is None:
        return None
    if price.input_mtok == 0:
        return 0.0
    try:
        tokens = first_turn_tokens(prompt, encoding_for(spec))
    except TokenizerUnavailable:
        return None
    return tokens * price.input_mtok / 1_000_000
