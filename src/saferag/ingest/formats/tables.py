"""Tables: CSV (standard library), Excel (.xlsx, openpyxl in read-only mode) and OpenDocument spreadsheets (.ods).

Each row becomes one line that names its columns, taken from the table's first non-empty row:
``Name: Alice; Department: Finance; Budget: 1200``. A chunk cut from the middle of a long sheet still says what
every number is, which a flattened grid ("A1B1A2B2") or a Markdown table whose header is chunks away does not.
Each sheet is a level-1 heading and a ``sheet`` mark, so hits and citations name it.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import TextBuilder, cell_text, need, open_package, table_lines
from saferag.ingest.formats.opendocument import open_odf, q, table_rows

_DELIMITERS = ",;\t|"


def read_csv(text: str, source: str) -> Document:
    """A decoded CSV file; its delimiter sniffed among ``, ; tab |``, its first row the header."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:16384], delimiters=_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    b = TextBuilder()
    try:
        b.lines(table_lines(csv.reader(io.StringIO(text), dialect)))
    except csv.Error as exc:
        raise DocumentError(f"malformed CSV: {exc}") from None
    return b.document(source, "csv", "")


def read_xlsx(data: bytes, source: str, max_bytes: int) -> Document:
    open_package(data, ".xlsx file", max_bytes)
    openpyxl = need("openpyxl", ".xlsx")
    from lxml.etree import XMLSyntaxError

    b = TextBuilder()
    try:
        # read_only streams each sheet's rows instead of building every cell; data_only: cached formula values
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            for sheet in book.worksheets:
                if hasattr(sheet, "reset_dimensions"):
                    sheet.reset_dimensions()  # a stated A1:XFD1048576 would make a million empty rows
                b.mark("sheet", sheet.title)
                b.heading(sheet.title, 1)
                b.lines(table_lines([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)))
            title = book.properties.title or ""
        finally:
            book.close()
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, zipfile.BadZipFile, XMLSyntaxError,
            OSError, EOFError) as exc:
        raise DocumentError(f"corrupt .xlsx file: {type(exc).__name__}: {exc}") from None
    return b.document(source, "xlsx", title)


def read_ods(data: bytes, source: str, max_bytes: int) -> Document:
    _, body, title = open_odf(data, ".ods file", max_bytes, "office:spreadsheet")
    b = TextBuilder()
    for number, table in enumerate(body.findall(q("table:table")), 1):
        name = table.get(q("table:name")) or f"Sheet{number}"
        b.mark("sheet", name)
        b.heading(name, 1)
        b.lines(table_lines(table_rows(table)))
    return b.document(source, "ods", title)
