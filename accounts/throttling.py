"""Throttles for the account endpoints: one counter per client IP, one per account.

A view opts in with ``throttle_scope = "login"``; the rates are ``login_ip`` and
``login_account`` in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``. Counters live in the
default cache, so with Redis they hold across processes and machines.
"""

import hashlib

from rest_framework import throttling

from accounts.models import normalize_email
from config.api.throttling import FixedWindowThrottle


class _AccountScopedThrottle(throttling.ScopedRateThrottle, FixedWindowThrottle):
    """DRF's ScopedRateThrottle (the view's ``throttle_scope``), counted in fixed windows.

    Each subclass counts by its own key under its own rate, ``<scope>_<scope_suffix>``.
    """

    scope_suffix = ""
    # Abuse protection must hold while Redis is down: count in this process instead.
    when_cache_is_down = "count_locally"

    def get_rate(self) -> str | None:
        self.scope = f"{self.scope}_{self.scope_suffix}"
        return super().get_rate()


class ClientIPThrottle(_AccountScopedThrottle):
    """Counts by client IP (``NUM_PROXIES`` decides how far X-Forwarded-For is trusted)."""

    scope_suffix = "ip"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountThrottle(_AccountScopedThrottle):
    """Counts by the account the request targets: what the view's ``throttle_account``
    answers for it when the view has one, else the ``email`` in its body."""

    scope_suffix = "account"

    def get_cache_key(self, request, view) -> str | None:
        if hasattr(view, "throttle_account"):
            return _account_key(self, view.throttle_account(request))
        return _account_key(
            self, request.data.get("email") if hasattr(request.data, "get") else None
        )


class SignedInAccountThrottle(_AccountScopedThrottle):
    """Counts by the signed-in account making the request (one that checks its password)."""

    scope_suffix = "account"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user.is_authenticated:
            return None
        return _hashed_key(self, str(request.user.pk))


def _account_key(throttle: _AccountScopedThrottle, account: object) -> str | None:
    """The counter of an account, named by its email or its id (either side, any case)."""
    if not isinstance(account, str) or not account.strip():
        return None
    return _hashed_key(throttle, normalize_email(account))


def _hashed_key(throttle: _AccountScopedThrottle, account: str) -> str:
    # Hashed so cache keys never hold personal data.
    ident = hashlib.sha256(account.encode()).hexdigest()[:32]
    return throttle.cache_format % {"scope": throttle.scope, "ident": ident}


ACCOUNT_THROTTLES = [ClientIPThrottle, AccountThrottle]
SIGNED_IN_ACCOUNT_THROTTLES = [ClientIPThrottle, SignedInAccountThrottle]


class AdminAccountThrottle(AccountThrottle):
    """Counts the admin login form's attempts by the account they target (``username``)."""

    def get_cache_key(self, request, view) -> str | None:
        return _account_key(self, request.POST.get("username"))
