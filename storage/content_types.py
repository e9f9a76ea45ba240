"""What a file is, judged from its first bytes, never from what the client claims."""

SNIFF_BYTES = 512

# (content type, offset, signature): the magic numbers of the types Keel knows.
_SIGNATURES: list[tuple[str, int, bytes]] = [
    ("image/png", 0, b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", 0, b"\xff\xd8\xff"),
    ("image/gif", 0, b"GIF87a"),
    ("image/gif", 0, b"GIF89a"),
    ("application/pdf", 0, b"%PDF-"),
    ("application/zip", 0, b"PK\x03\x04"),
    ("application/zip", 0, b"PK\x05\x06"),
    ("application/gzip", 0, b"\x1f\x8b"),
    ("audio/mpeg", 0, b"ID3"),
    ("video/mp4", 4, b"ftyp"),
]


def detect_content_type(head: bytes) -> str:
    """The content type of a file starting with ``head``; octet-stream when unknown."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for content_type, offset, signature in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type
    if _looks_like_text(head):
        return "text/plain"
    return "application/octet-stream"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end inside a multi-byte character; only that is forgiven.
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True
