"""Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits).

Pure functions, no database: ``accounts.mfa`` keeps the devices and decides which step a
code may still be used for. Written here rather than taken from ``django-otp``: the
algorithm is these few lines (checked against the RFC's own test vectors), while
django-otp stores recovery codes in clear and brings its own admin site.
"""

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, the key length RFC 4226 recommends for HMAC-SHA-1


def secret_generate() -> str:
    """A new shared secret, base32 as authenticator apps take it (no padding)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def step_at(timestamp: float) -> int:
    return int(timestamp // STEP_SECONDS)


def code_at_step(secret: str, step: int, *, digits: int = DIGITS) -> str:
    """The code for ``step`` (RFC 4226's HOTP with the time step as its counter)."""
    digest = hmac.new(_secret_bytes(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def matching_step(secret: str, code: str, *, steps: range) -> int | None:
    """The latest step in ``steps`` whose code is ``code``, compared in constant time."""
    # As bytes: compare_digest refuses str with non-ASCII characters (a "１２３４５６").
    typed = code.encode()
    found = None
    for step in steps:
        if hmac.compare_digest(code_at_step(secret, step).encode(), typed):
            found = step
    return found


def provisioning_uri(*, secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI authenticator apps read (as a QR code or pasted)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def _secret_bytes(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))
