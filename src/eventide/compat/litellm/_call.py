"""One litellm call, checked and ready before any I/O: its providers (the model's, its
fallbacks', or a mock) and ``chat.completions.create``'s keywords."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn, final

import attrs

from ..._timeouts import Timeouts
from ...providers import Provider
from ...routing import RetryPolicy, Router
from ._errors import raise_as_litellm
from ._mock import MOCK_ERRORS, mock_provider
from ._routes import provider_for, split_model

if TYPE_CHECKING:
    from ..._errors import Error

__all__ = ["Call", "prepare"]

_REFUSED: Final[Mapping[str, str]] = {
    "custom_llm_provider": "the provider as the model's prefix: model='provider/model'",
    "api_version": "an api_base= with its ?api-version= query (Azure is out of scope)",
    "drop_params": "nothing: eventide raises for parameters a provider does not take",
    "caching": "nothing: response caching is out of scope",
    "mock_tool_calls": "eventide.testing's scripted provider",
    "model_list": "eventide.routing.Fallback over your providers",
    "litellm_logging_obj": "eventide's stages (tap, record) for logs",
}


def _timeouts(timeout: float | Timeouts | None) -> Timeouts | None:
    if timeout is None or isinstance(timeout, Timeouts):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds or Timeouts, not {timeout!r}")
    return Timeouts(total=float(timeout))


@final
@attrs.frozen
class Call:
    """One litellm call, checked and ready.

    Attributes:
        provider: The one provider, or a `Router` over the model and its fallbacks (which
            closes the providers it was given).
        model: The model of the one provider (None for the router: its default alias).
        arguments: ``chat.completions.create``'s keywords.
        asked: The model the call asked for first (a failure names it when nothing else
            says which model failed, as litellm's errors name the call's model).
    """

    provider: Provider
    model: str | None
    arguments: Mapping[str, Any]
    asked: str | None = None

    def raise_as_litellm(self, error: Error) -> NoReturn:
        """Raise what litellm raises for `error`, a failure of this call (naming its model:
        `raise_as_litellm`)."""
        raise_as_litellm(error, model=self.model, asked=self.asked)


def _route(
    candidates: list[tuple[Provider, str]], retries: int | None
) -> tuple[Provider, str | None]:
    """The one provider, or a `Router` whose default alias tries the candidates in turn
    (litellm moves on at once, unless ``num_retries`` asks for retries)."""
    if len(candidates) == 1 and retries is None:
        return candidates[0]
    names = {f"candidate{index}": made for index, (made, _) in enumerate(candidates)}
    entries = [f"{name}:{model}" for name, (_, model) in zip(names, candidates, strict=True)]
    router = Router(
        names,
        {"litellm": entries},
        default="litellm",
        owned=list(names.values()),
        name="litellm",
        retry=RetryPolicy(attempts=(retries or 0) + 1),
    )
    return router, None


def prepare(
    model: str,
    messages: Sequence[Mapping[str, Any]] | str,
    *,
    api_key: str | None,
    api_base: str | None,
    timeout: float | Timeouts | None,
    num_retries: int | None,
    fallbacks: Sequence[str | Mapping[str, Any]] | None,
    mock_response: str | Exception | None,
    params: dict[str, Any],
) -> Call:
    """Check a call's arguments and make its providers, before any I/O.

    Raises:
        TypeError: A litellm-only option with no meaning here (naming the replacement).
        RequestError: A model with an unknown prefix; a route missing its server.
        Error: ``mock_response`` is an exception, or names one of litellm's mock errors.
    """
    for name, replacement in _REFUSED.items():
        if params.pop(name, None):
            raise TypeError(f"{name}= has no meaning in eventide: use {replacement}")
    max_retries = params.pop("max_retries", None)
    retries = num_retries if num_retries is not None else max_retries
    if retries is not None and (
        isinstance(retries, bool) or not isinstance(retries, int) or retries < 0
    ):
        raise ValueError(f"num_retries must be an integer >= 0, not {retries!r}")
    timeouts = _timeouts(timeout)
    prefix, name = split_model(model, has_base=api_base is not None)
    if isinstance(mock_response, Exception):
        raise mock_response
    if mock_response is not None:
        mocked = MOCK_ERRORS.get(mock_response)
        if mocked is not None:
            cls, status, message = mocked
            raise_as_litellm(cls(message, provider=prefix, status_code=status), model=name)
        candidates = [(mock_provider(mock_response, provider=prefix, model=name), name)]
    else:
        candidates = [
            (provider_for(prefix, api_key=api_key, api_base=api_base, timeouts=timeouts), name)
        ]
        for fallback in fallbacks or ():
            spec = {"model": fallback} if isinstance(fallback, str) else dict(fallback)
            other_prefix, other_name = split_model(spec["model"], has_base="api_base" in spec)
            made = provider_for(
                other_prefix,
                api_key=spec.get("api_key"),
                api_base=spec.get("api_base") or spec.get("base_url"),
                timeouts=timeouts,
            )
            candidates.append((made, other_name))
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    provider, routed_model = _route(candidates, retries)
    return Call(provider, routed_model, {"messages": messages, **params}, name)
