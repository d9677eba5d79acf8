"""What a draft cost: USD per million tokens by model."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.settings import Settings


@dataclass(frozen=True)
class Price:
    input_per_million: float
    output_per_million: float


@dataclass
class PriceTable:
    """USD per million tokens. Defaults from OpenAI's public pricing page (openai.com/api/pricing),
    checked 2026-11; override with ASSISTANT_PRICES (JSON: {"model": [input, output]})."""

    prices: dict[str, Price] = field(default_factory=lambda: {
        "gpt-4.1": Price(2.00, 8.00), "gpt-4.1-mini": Price(0.40, 1.60), "gpt-4.1-nano": Price(0.10, 0.40),
        "gpt-4o": Price(2.50, 10.00), "gpt-4o-mini": Price(0.15, 0.60),
    })

    def cost(self, provider: str, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        """USD; 0 for local and fake; None when the model's price is unknown."""
        if provider in ("local", "fake"):
            return 0.0
        price = self.prices.get(model)
        if price is None:
            return None
        return round(prompt_tokens / 1e6 * price.input_per_million + completion_tokens / 1e6 * price.output_per_million, 6)


def price_table(settings: Settings) -> PriceTable:
    table = PriceTable()
    for model, (inp, out) in (settings.prices or {}).items():
        table.prices[model] = Price(float(inp), float(out))
    return table
