"""The arena's live token and cost estimates: the tokenizer and the prices each pane needs,
loaded once per run off the UI thread (the tokenizer takes ~0.5 s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanotui.engine.run.plan import RunPlan
from nanotui.ui.widgets.agent_pane import Estimates

if TYPE_CHECKING:
    from tiktoken import Encoding


def load_estimates(plan: RunPlan, agent_ids: list[str]) -> dict[str, Estimates] | None:
    """Per agent, its encoding, first-turn tokens and price; ``None`` without a tokenizer.
    Blocking: call it in a thread."""
    # Pygments compiles a lexer's rules on first use (~0.3 s for Python): here, not on
    # the UI thread when the first code block is painted.
    from pygments.lexers import get_lexer_by_name

    from nanotui.engine.agent.first_turn import first_turn_tokens
    from nanotui.engine.roster.pricing import known_price
    from nanotui.engine.roster.tokens import TokenizerUnavailable, encoding_name_for, load_encoding

    for language in ("python", "json", "bash"):
        get_lexer_by_name(language)
    prompt = plan.agent_task.prompt
    loaded: dict[str, tuple[Encoding, int]] = {}
    estimates: dict[str, Estimates] = {}
    for agent_id, spec in zip(agent_ids, plan.specs):
        name = encoding_name_for(spec.provider, spec.model)
        if name not in loaded:
            try:
                encoding = load_encoding(name)
            except TokenizerUnavailable:
                return None
            loaded[name] = (encoding, first_turn_tokens(prompt, encoding))
        try:
            price = known_price(spec.provider, spec.model, spec.price_as)
        except Exception:
            price = None
        encoding, tokens = loaded[name]
        estimates[agent_id] = Estimates(encoding, tokens, price)
    return estimates
