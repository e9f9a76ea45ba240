import pytest

from storage.content_types import SNIFF_BYTES, detect_content_type
from storage.tests.helpers import ELF, GIF, JPEG, PDF, PNG, TEXT, WEBP, ZIP


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF87a" + bytes(10), "image/gif"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (ZIP, "application/zip"),
        (b"PK\x05\x06" + bytes(18), "application/zip"),
        (b"\x1f\x8b\x08\x00" + bytes(10), "application/gzip"),
        (b"ID3\x04\x00" + bytes(10), "audio/mpeg"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(10), "video/mp4"),
    ],
)
def test_detect_content_type_recognises_magic_numbers(head, expected):
    assert detect_content_type(head) == expected


def test_detect_content_type_of_riff_that_is_not_webp_is_not_webp():
    wave = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(8)

    assert detect_content_type(wave) == "application/octet-stream"


@pytest.mark.parametrize(
    "text",
    [TEXT, "Zoë’s café — 東京 ✓\n".encode(), b"a,b,c\r\n1,2,3\r\n", b"\t  indented\n"],
)
def test_detect_content_type_of_utf8_text_is_text_plain(text):
    assert detect_content_type(text) == "text/plain"


def test_detect_content_type_of_text_cut_inside_a_character_is_text_plain():
    sample = ("é" * SNIFF_BYTES).encode()[: SNIFF_BYTES - 1]
    with pytest.raises(UnicodeDecodeError):
        sample.decode()

    assert detect_content_type(sample) == "text/plain"


def test_detect_content_type_of_invalid_utf8_before_the_end_is_octet_stream():
    # A Latin-1 "é" in the middle is not UTF-8; only a cut at the very end is forgiven.
    sample = "café au lait, s'il vous plaît".encode("latin-1")

    assert detect_content_type(sample) == "application/octet-stream"


@pytest.mark.parametrize(
    "head",
    [ELF, b"plain words\x00then a NUL", b"", bytes(range(256))],
    ids=["elf", "text-with-nul", "empty", "all-bytes"],
)
def test_detect_content_type_of_binary_or_empty_is_octet_stream(head):
    assert detect_content_type(head) == "application/octet-stream"


def test_detect_content_type_ignores_a_signature_at_the_wrong_offset():
    assert detect_content_type(b"xx" + PNG) == "application/octet-stream"
