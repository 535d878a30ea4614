"""Routing: fallback, retries, hedged requests, circuit breakers and limits over providers.

A router is a provider: its `stream()` returns an `EventStream` that keeps the event
contract exactly (one `Metadata`, first, naming the provider that served, with the failed
attempts recorded in it).
"""

from ._fallback import Candidate as Candidate
from ._fallback import Fallback as Fallback
from ._limits import LimitBackend as LimitBackend
from ._limits import Limiter as Limiter
from ._limits import Limits as Limits
from ._limits import Permit as Permit
from ._policy import CircuitBreaker as CircuitBreaker
from ._policy import Commit as Commit
from ._policy import RetryPolicy as RetryPolicy
from ._retrying import Retrying as Retrying
from ._router import Router as Router

__all__ = [
    "Candidate",
    "CircuitBreaker",
    "Commit",
    "Fallback",
    "LimitBackend",
    "Limiter",
    "Limits",
    "Permit",
    "RetryPolicy",
    "Retrying",
    "Router",
]
