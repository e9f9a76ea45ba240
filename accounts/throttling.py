"""Throttles for the account endpoints: one counter per client IP, one per account.

A view opts in with ``throttle_scope = "login"``; the rates are ``login_ip`` and
``login_account`` in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``. Counters live in the
default cache, so with Redis they hold across processes and machines.
"""

import hashlib

from accounts.models import normalize_email
from config.throttling import FixedWindowThrottle


class _ScopedThrottle(FixedWindowThrottle):
    scope_suffix = ""

    def __init__(self):
        # The rate depends on the view, so it is resolved in allow_request.
        pass

    def allow_request(self, request, view) -> bool:
        view_scope = getattr(view, "throttle_scope", None)
        if not view_scope:
            return True
        self.scope = f"{view_scope}_{self.scope_suffix}"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ClientIPThrottle(_ScopedThrottle):
    """Counts by client IP (``NUM_PROXIES`` decides how far X-Forwarded-For is trusted)."""

    scope_suffix = "ip"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountThrottle(_ScopedThrottle):
    """Counts by the account the request targets: the ``email`` in its body."""

    scope_suffix = "account"

    def get_cache_key(self, request, view) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed so cache keys never hold personal data.
        ident = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


ACCOUNT_THROTTLES = [ClientIPThrottle, AccountThrottle]
