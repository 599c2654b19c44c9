"""API keys, each bound to a tenant and, optionally, a rate limit. Keys are compared in constant time and never
logged: logs and metrics name a key by its id (``audit.key_id``, a shortened SHA-256)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from saferag.audit import key_id
from saferag.config import ApiKey
from saferag.server.errors import ApiError
from saferag.server.ratelimit import Rate, retry_after
from saferag.store import DEFAULT_TENANT, check_tenant


@dataclass(frozen=True)
class Caller:
    """Who a request comes from: its tenant, its key's id (None when no keys are configured) and its limit."""

    tenant: str
    key_id: str | None
    rate: Rate | None

    @property
    def bucket(self) -> str:
        """The rate-limit bucket: one per key; without keys, one for the whole open service."""
        return self.key_id or "open"


class KeyRing:
    """The configured keys; with none, every caller is the default tenant (loopback-only serving).

    ``keys`` maps each key to its tenant (``"key" = "team_a"``) or to ``ApiKey(tenant, rate_limit)``; a key
    without its own ``rate_limit`` gets ``default_rate`` (``''``: unlimited).
    """

    def __init__(self, keys: Mapping[str, str | ApiKey], default_rate: str = "") -> None:
        self._keys: list[tuple[bytes, Caller]] = []
        for key, entry in keys.items():
            if not key:
                continue
            tenant, spec = (entry, default_rate) if isinstance(entry, str) else (
                entry.tenant, default_rate if entry.rate_limit is None else entry.rate_limit)
            self._keys.append((key.encode(), Caller(check_tenant(tenant), key_id(key), _rate(spec))))
        self.tenants = sorted({c.tenant for _, c in self._keys}) or [DEFAULT_TENANT]
        self._open = Caller(DEFAULT_TENANT, None, _rate(default_rate))

    @property
    def open(self) -> bool:
        """True when no keys are configured."""
        return not self._keys

    @property
    def limited(self) -> bool:
        """True when any caller has a rate limit (so the service needs a limiter)."""
        return any(c.rate for _, c in self._keys) or (self.open and self._open.rate is not None)

    def caller(self, authorization: str | None) -> Caller | None:
        """The caller of the ``Authorization: Bearer <key>`` header, or None for a missing or wrong key."""
        if self.open:
            return self._open
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        given = token.strip().encode()
        found = None
        for key, who in self._keys:  # every key is compared, so timing says nothing about which matched
            if hmac.compare_digest(key, given) and found is None:
                found = who
        return found

    def tenant_for(self, authorization: str | None) -> str | None:
        """The tenant of the ``Authorization: Bearer <key>`` header, or None for a missing or wrong key."""
        found = self.caller(authorization)
        return found.tenant if found else None


def _rate(spec: str) -> Rate | None:
    return Rate.parse(spec) if spec else None


def authenticate(request: Request) -> str:
    """The caller's tenant (a FastAPI dependency): 401 without a valid key, 429 past the key's rate limit.

    The key's id is left on ``request.state.key_id`` for the audit trail.
    """
    state = request.app.state
    found = state.keys.caller(request.headers.get("authorization"))
    if found is None:
        raise ApiError(401, "missing or invalid API key: send Authorization: Bearer <key>",
                       type="authentication_error", code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
    request.state.key_id = found.key_id
    if found.rate is not None and state.limiter is not None:
        wait = state.limiter.take(found.bucket, found.rate)
        if wait:
            state.metrics.rate_limited.labels(found.tenant, found.key_id or "open").inc()
            seconds = retry_after(wait)
            raise ApiError(429, f"rate limit of {found.rate.spec} exceeded for this API key; retry in {seconds} s",
                           type="rate_limit_error", code="rate_limit_exceeded", headers={"Retry-After": str(seconds)})
    return found.tenant


Tenant = Annotated[str, Depends(authenticate)]  # a route's caller: 401 without a valid key, 429 past its rate limit
