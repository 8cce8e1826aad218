"""Text folded for comparison: case-folded, accents dropped (library search, import matching)."""

from __future__ import annotations

import re
import unicodedata

#: Combining marks (the accents NFKD splits off Latin, Greek and Cyrillic letters).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Case-folded, accents dropped ("Été" and "ete" compare equal)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _MARKS.sub("", unicodedata.normalize("NFKD", folded))
