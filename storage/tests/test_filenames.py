import string

import pytest

from storage.filenames import FILENAME_MAX_LENGTH, key_safe_filename, sanitize_filename

KEY_SAFE = set(string.ascii_letters + string.digits + "._-")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/absolute/path/photo.png", "photo.png"),
        ("C:\\Users\\ann\\notes.txt", "notes.txt"),
        ("evil\x00.png", "evil.png"),
        ("bell\x07and\x1bescape.txt", "bellandescape.txt"),
        ("right\u202eto-left.txt", "rightto-left.txt"),
        (".htaccess", "htaccess"),
        ("...hidden.txt", "hidden.txt"),
        (" . .dots and spaces.txt  ", "dots and spaces.txt"),
        ("many   inner \t spaces.txt", "many inner spaces.txt"),
        ("", "file"),
        (None, "file"),
        ("..", "file"),
        ("../", "file"),
        ("\x00\x01", "file"),
    ],
)
def test_sanitize_filename_cleans_client_names(raw, expected):
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_normalises_unicode_to_nfc():
    decomposed = "Re\u0301sume\u0301.pdf"

    assert sanitize_filename(decomposed) == "R\u00e9sum\u00e9.pdf"


def test_sanitize_filename_keeps_unicode_letters():
    assert sanitize_filename("東京 – 報告.txt") == "東京 – 報告.txt"


def test_sanitize_filename_of_long_name_is_truncated_keeping_the_extension():
    name = sanitize_filename("a" * 296 + ".pdf")

    assert len(name) == FILENAME_MAX_LENGTH == 200
    assert name == "a" * 196 + ".pdf"


def test_sanitize_filename_of_long_name_with_long_suffix_is_cut_plainly():
    # Past 16 characters a "suffix" is just part of the name.
    raw = "b" * 150 + "." + "c" * 150

    assert sanitize_filename(raw) == raw[:FILENAME_MAX_LENGTH]


def test_sanitize_filename_of_long_name_without_extension_is_cut():
    assert sanitize_filename("x" * 300) == "x" * FILENAME_MAX_LENGTH


def test_sanitize_filename_of_a_name_at_the_limit_is_unchanged():
    raw = "d" * (FILENAME_MAX_LENGTH - 4) + ".txt"

    assert sanitize_filename(raw) == raw


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("Résumé 2024.pdf", "Resume_2024.pdf"),
        ("東京.txt", "file.txt"),
        ("東京", "file"),
        ("a b&c?d#e%f.txt", "a_b_c_d_e_f.txt"),
        ("_.leading-and-trailing._", "leading-and-trailing"),
        ("ﬁle（1）.txt", "file_1.txt"),
    ],
)
def test_key_safe_filename_is_ascii_letters_digits_dot_dash_underscore(name, expected):
    assert key_safe_filename(name) == expected


def test_key_safe_filename_output_is_always_key_safe():
    for raw in ["../../x", "ä/ö\\ü", "\u202e", "con:prn", "a" * 250, "..."]:
        safe = key_safe_filename(sanitize_filename(raw))
        assert safe
        assert safe.isascii()
        assert set(safe) <= KEY_SAFE
        assert not safe.startswith(".")


def test_key_safe_filename_stays_short_when_transliteration_grows_the_name():
    # NFKD turns each "ⅷ" into "viii": 200 characters would become 800.
    key_name = key_safe_filename("ⅷ" * 200 + ".pdf")
    assert len(key_name) <= 100
    assert key_name.endswith(".pdf")
