"""API keys, each bound to a tenant. Keys are compared in constant time and never logged."""

from __future__ import annotations

import hmac

from saferag.store import DEFAULT_TENANT, check_tenant


class KeyRing:
    """The configured keys; with none, every caller is the default tenant (loopback-only serving)."""

    def __init__(self, keys: dict[str, str]) -> None:
        self._keys = [(key.encode(), check_tenant(tenant)) for key, tenant in keys.items() if key]
        self.tenants = sorted({t for _, t in self._keys}) or [DEFAULT_TENANT]

    @property
    def open(self) -> bool:
        """True when no keys are configured."""
        return not self._keys

    def tenant_for(self, authorization: str | None) -> str | None:
        """The tenant of the ``Authorization: Bearer <key>`` header, or None for a missing or wrong key."""
        if self.open:
            return DEFAULT_TENANT
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        given = token.strip().encode()
        found = None
        for key, tenant in self._keys:  # every key is compared, so timing says nothing about which matched
            if hmac.compare_digest(key, given) and found is None:
                found = tenant
        return found
