"""What a message cost: token usage and a price table in US dollars per million tokens.

Prices are list prices on the date below; set your own with care: they only feed usage reports.
Unknown models cost nothing rather than a guess.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

PRICES_AS_OF = "2026-12"
# model id → (input, output) USD per 1M tokens.
PRICES: dict[str, tuple[float, float]] = {
    "anthropic.claude-3-5-haiku-20241022-v1:0": (0.80, 4.00),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": (3.00, 15.00),
    "amazon.nova-micro-v1:0": (0.035, 0.14),
    "amazon.nova-lite-v1:0": (0.06, 0.24),
    "amazon.nova-pro-v1:0": (0.80, 3.20),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "claude-3-5-haiku-latest": (0.80, 4.00),
    "claude-3-5-sonnet-latest": (3.00, 15.00),
    "gemini-2.0-flash": (0.10, 0.40),
}


class TokenUsage(BaseModel):
    """The `usage` of a chat answer."""

    provider: str = "offline"
    model: str | None = None
    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    cost_usd: float = Field(0.0, ge=0)


def cost_usd(model: str | None, input_tokens: int, output_tokens: int) -> float:
    prices = PRICES.get(model or "")
    if prices is None:
        return 0.0
    return round((input_tokens * prices[0] + output_tokens * prices[1]) / 1_000_000, 8)
