"""Publication dates as government pages and records write them, normalised to YYYY-MM-DD."""

from __future__ import annotations

import datetime
import re
import unicodedata

from search_service.errors import SourceError

# A trailing time of day is accepted and ignored: 10:30, 10:30:00, 10:30:00.5,
# with an optional zone (Z, +08:00), or the Chinese 10时30分.
_TIME = (
    r"\d{1,2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|时\d{1,2}分(?:\d{1,2}秒)?)"
)

# The separator is captured and back-referenced so 2024-08/20 is not a date.
_NUMERIC = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:(?:\s+|T)" + _TIME + ")?", re.ASCII
)
_CHINESE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*" + _TIME + ")?", re.ASCII
)


def normalise_date(value: str | None) -> str | None:
    """Return value as YYYY-MM-DD, None when empty; raise SourceError when it is no date."""
    if value is None:
        return None
    # NFKC folds full-width digits and punctuation (２０２４－０８－２０) and NBSP.
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    match = _NUMERIC.fullmatch(text)
    if match:
        year, month, day = match.group(1), match.group(3), match.group(4)
    else:
        match = _CHINESE.fullmatch(text)
        if not match:
            raise SourceError(f"unrecognised date '{value}'")
        year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise SourceError(f"unrecognised date '{value}'") from None
