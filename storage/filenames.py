"""Client-supplied file names made safe to store, show and put in a header."""

import re
import unicodedata

FILENAME_MAX_LENGTH = 200
# Transliteration can make a name longer (NFKD turns "ⅷ" into "viii"); keys stay short
# enough for any file system's 255-byte names and the 512-character key column.
KEY_NAME_MAX_LENGTH = 100
_UNSAFE_IN_KEY = re.compile(r"[^A-Za-z0-9._-]+")


def sanitize_filename(name: str | None) -> str:
    """The base name only, without control characters, leading dots or excess length.

    ``../../etc/passwd`` becomes ``passwd``; a name that sanitises to nothing (or no
    name at all) becomes ``file``. The extension survives truncation.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = " ".join(name.split()).lstrip(". ").rstrip(" ")
    if len(name) > FILENAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = f"{stem[: FILENAME_MAX_LENGTH - len(extension) - 1]}.{extension}"
        else:
            name = name[:FILENAME_MAX_LENGTH]
    return name or "file"


def key_safe_filename(name: str) -> str:
    """An ASCII-only form for object keys, which some S3-compatible servers mishandle."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem, dot, extension = _UNSAFE_IN_KEY.sub("_", ascii_name).rpartition(".")
    if not dot:
        stem, extension = extension, ""
    extension = extension[:16] if extension.strip("_") else ""
    stem = stem.strip("._")[: KEY_NAME_MAX_LENGTH - len(extension) - 1].rstrip("._") or "file"
    return f"{stem}.{extension}" if extension else stem
