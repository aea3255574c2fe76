"""Lambda REQUEST authorizers, for REST routes and WebSocket `$connect` alike.

As in API Gateway: a missing identity source answers 401 without invoking the function; the returned
IAM policy is evaluated against the methodArn (explicit Deny wins, Allow needed) and cached for the
authorizer's TTL keyed by the identity-source values, so a cached policy also decides other
methodArns; `principalId` and `context` reach the integration as `requestContext.authorizer`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.lambda_runtime import LambdaRuntime
from octag.manifest import AuthorizerSpec


@dataclass(frozen=True)
class Decision:
    status: int  # 200 allowed; 401, 403 or 500 otherwise
    message: str = ""
    context: dict[str, Any] = field(default_factory=dict)  # requestContext.authorizer

    @property
    def allowed(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class _Policy:
    principal_id: str
    statements: tuple[Mapping[str, Any], ...]
    context: Mapping[str, Any]

    def allows(self, method_arn: str) -> bool:
        effects = {str(s.get("Effect", "")).lower() for s in self.statements if _applies(s, method_arn)}
        return "allow" in effects and "deny" not in effects


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _applies(statement: Mapping[str, Any], method_arn: str) -> bool:
    actions = {str(a).lower() for a in _as_list(statement.get("Action", []))}
    if not actions & {"execute-api:invoke", "execute-api:*", "*"}:
        return False
    return any(_arn_matches(str(r), method_arn) for r in _as_list(statement.get("Resource", [])))


def _arn_matches(pattern: str, arn: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn) is not None


def _parse_policy(payload: Any) -> _Policy | None:
    """The authorizer's output, or None when API Gateway would reject it (500)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("principalId"), str):
        return None
    document = payload.get("policyDocument")
    if not isinstance(document, dict):
        return None
    statements = _as_list(document.get("Statement", []))
    context = payload.get("context") or {}
    if not all(isinstance(s, dict) for s in statements) or not isinstance(context, dict):
        return None
    # Context values may only be strings, numbers or booleans.
    if not all(isinstance(v, str | int | float | bool) for v in context.values()):
        return None
    return _Policy(payload["principalId"], tuple(statements), context)


def _context_value(value: str | int | float | bool) -> str:
    """REST and WebSocket APIs hand authorizer context values to integrations as strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def identity_values(
    spec: AuthorizerSpec, headers: Mapping[str, str], query: Mapping[str, str]
) -> tuple[str, ...] | None:
    """The identity-source values in declaration order; None when one is missing or empty.

    `headers` must be case-insensitive (aiohttp's CIMultiDict), as header sources are.
    """
    values = [headers.get(h, "") for h in spec.identity_headers]
    values += [query.get(q, "") for q in spec.identity_query]
    return tuple(values) if all(values) else None


class Authorizers:
    """Invokes authorizer functions and caches their policies."""

    def __init__(self, runtime: LambdaRuntime, clock: Callable[[], float] = time.monotonic) -> None:
        self._runtime = runtime
        self._clock = clock
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, _Policy]] = {}

    async def authorize(
        self,
        spec: AuthorizerSpec,
        identity: tuple[str, ...] | None,
        method_arn: str,
        build_event: Callable[[], dict[str, Any]],
    ) -> Decision:
        """Decide a request; `build_event` is called only when the function must be invoked."""
        has_sources = bool(spec.identity_headers or spec.identity_query)
        if has_sources and identity is None:
            return Decision(401, "Unauthorized: an identity source is missing")
        key = (spec.name, identity) if identity and spec.ttl_seconds > 0 else None
        policy = self._cached(key)
        if policy is None:
            started = time.perf_counter()
            invocation = await self._runtime.invoke(spec.function, build_event())
            if not invocation.ok:
                error = invocation.error or {}
                if error.get("errorMessage") == "Unauthorized":
                    return Decision(401, "Unauthorized")
                return Decision(500, f"Authorizer {spec.name} failed: {error.get('errorMessage', '')}")
            policy = _parse_policy(invocation.payload)
            if policy is None:
                return Decision(500, f"Authorizer {spec.name} returned an invalid policy")
            latency = round((time.perf_counter() - started) * 1000)
            if key is not None:
                self._cache[key] = (self._clock() + spec.ttl_seconds, policy)
        else:
            latency = 0
        if not policy.allows(method_arn):
            return Decision(403, "User is not authorized to access this resource")
        context: dict[str, Any] = {k: _context_value(v) for k, v in policy.context.items()}
        context.update(principalId=policy.principal_id, integrationLatency=latency)
        return Decision(200, context=context)

    def _cached(self, key: tuple[str, tuple[str, ...]] | None) -> _Policy | None:
        if key is None or key not in self._cache:
            return None
        expires, policy = self._cache[key]
        if self._clock() >= expires:
            del self._cache[key]
            return None
        return policy
