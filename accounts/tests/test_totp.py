"""The TOTP algorithm against RFC 6238's own test vectors (appendix B, SHA-1)."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("timestamp", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_match_the_rfc_6238_vectors(timestamp, code):
    assert totp.code_at_step(RFC_SECRET, totp.step_at(timestamp), digits=8) == code


def test_six_digit_codes_are_the_last_six_of_the_rfc_value():
    assert totp.code_at_step(RFC_SECRET, totp.step_at(59)) == "287082"


def test_matching_step_finds_the_step_of_a_code_and_nothing_else():
    step = totp.step_at(1234567890)
    code = totp.code_at_step(RFC_SECRET, step)
    assert totp.matching_step(RFC_SECRET, code, steps=range(step - 1, step + 2)) == step
    assert totp.matching_step(RFC_SECRET, code, steps=range(step + 1, step + 3)) is None


def test_secrets_are_160_random_bits_in_unpadded_base32():
    first, second = totp.secret_generate(), totp.secret_generate()
    assert first != second
    assert len(first) == 32
    assert "=" not in first
    assert len(base64.b32decode(first)) == 20


def test_provisioning_uri_names_issuer_account_and_the_rfc_parameters():
    uri = totp.provisioning_uri(secret="ABC", account="ann@example.com", issuer="Keel")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "otpauth",
        "totp",
        "/Keel%3Aann%40example.com",
    )
    assert parse_qs(parts.query) == {
        "secret": ["ABC"],
        "issuer": ["Keel"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
