"""CSV export of search hits: UTF-8 with a BOM so that Excel reads Chinese correctly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

#: The columns of an export, in order; a row lacks none (empty when unknown).
COLUMNS = ("id", "title", "date", "department", "author", "doc_number", "person",
           "validity", "url", "score")
BOM = "\ufeff"


def csv_chunks(rows: Iterable[dict[str, object]], batch: int = 200) -> Iterator[bytes]:
    """Yield an export as UTF-8 bytes: the BOM and header first, then rows in batches.

    A list value (the people a notice names) is joined with "、".
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(row.get(name)) for name in COLUMNS])
        if count % batch == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)
