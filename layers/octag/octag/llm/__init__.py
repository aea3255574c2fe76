"""LLM providers: the configured LangChain chat model (or none: the offline provider answers) and prices.

    model = chat_model()          # None when OCTAG_LLM_PROVIDER is `offline`
    cost_usd(model_id, usage)     # from the price table in octag.llm.prices

Provider packages are optional extras (`pip install "octag[bedrock]"`, `[openai]`, `[anthropic]`,
`[google]`) imported lazily: the import alone costs ~0.6 s.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

from octag.config import LlmProvider, get_settings
from octag.errors import OctagError
from octag.llm.prices import PRICES, TokenUsage, cost_usd

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["DEFAULT_MODELS", "PRICES", "LlmUnavailable", "TokenUsage", "chat_model", "cost_usd", "model_id"]

# The model each provider uses unless OCTAG_LLM_MODEL names another.
DEFAULT_MODELS: dict[LlmProvider, str] = {
    "bedrock": "anthropic.claude-3-5-haiku-20241022-v1:0",
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-latest",
    "google": "gemini-2.0-flash",
}
# (module, class, keyword naming the model, extra) of each provider's LangChain integration.
_INTEGRATIONS: dict[LlmProvider, tuple[str, str, str, str]] = {
    "bedrock": ("langchain_aws", "ChatBedrockConverse", "model", "bedrock"),
    "openai": ("langchain_openai", "ChatOpenAI", "model", "openai"),
    "anthropic": ("langchain_anthropic", "ChatAnthropic", "model", "anthropic"),
    "google": ("langchain_google_genai", "ChatGoogleGenerativeAI", "model", "google"),
}


class LlmUnavailable(OctagError):
    status, code = 503, "llm_unavailable"


def model_id() -> str | None:
    """The configured model's id, or None for the offline provider."""
    settings = get_settings()
    if settings.llm_provider == "offline":
        return None
    return settings.llm_model or DEFAULT_MODELS[settings.llm_provider]


@cache
def chat_model() -> BaseChatModel | None:
    """The configured provider's chat model, built once per process; None for `offline`."""
    settings = get_settings()
    provider = settings.llm_provider
    if provider == "offline":
        return None
    module_name, class_name, model_keyword, extra = _INTEGRATIONS[provider]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LlmUnavailable(
            f"OCTAG_LLM_PROVIDER={provider} needs its LangChain package: pip install 'octag[{extra}]'"
        ) from exc
    options: dict[str, Any] = {model_keyword: model_id(), "temperature": 0.2, "max_retries": 1}
    if provider == "bedrock":
        options["region_name"] = settings.aws_region
    else:
        options["timeout"] = settings.llm_timeout
    if provider == "openai":
        options["stream_usage"] = True  # token counts arrive in the stream's last chunk
    model: BaseChatModel = getattr(module, class_name)(**options)
    return model
