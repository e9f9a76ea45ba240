"""The protocol's documentation says what the code does."""

import re
from pathlib import Path

from realtime.protocol import CloseCode

BASE_DIR = Path(__file__).resolve().parents[2]


def documented_close_codes(path: Path) -> dict[int, str]:
    """``code -> reason`` from the rows of the close-code table of a Markdown file."""
    rows = re.findall(r"^\| (\d{4}) \| ?(\w*) ?\|", path.read_text(), re.M)
    return {int(code): reason for code, reason in rows}


def test_the_spec_documents_every_close_code_and_its_reason():
    documented = documented_close_codes(BASE_DIR / "docs/realtime.md")

    assert {code: documented.get(code) for code in map(int, CloseCode)} == {
        int(code): code.reason for code in CloseCode
    }
    # The codes the server (uvicorn) closes with on its own.
    assert {1009, 1012} <= set(documented)


def test_the_readme_lists_the_same_close_codes_as_the_spec():
    assert documented_close_codes(BASE_DIR / "README.md") == documented_close_codes(
        BASE_DIR / "docs/realtime.md"
    )
