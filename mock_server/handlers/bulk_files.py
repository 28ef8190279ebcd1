"""The file of a bulk upload (``invoices``, base64) read into the domain's lines: CSV or xlsx.

Both are a table whose first row names the columns: name,phone,email,amount,reference_number,
description, in any case and order; extra columns are ignored; name, phone and amount are
required. A bad file is refused whole, the message under ``invoices`` naming the line.

* **csv** (``fileType`` "csv"): UTF-8, with or without a byte-order mark; quoted fields as
  spreadsheets write them (a quote left open is refused).
* **xlsx** (``fileType`` "xlsx"): the workbook's first sheet, read with the standard library
  (an xlsx file is a zip of XML parts: the sheet, and the strings its cells share). A number cell
  is read at Excel's 15 significant digits, so ``8.5`` is "8.5" and a phone number stays whole.
  Each part is read up to :data:`MAX_PART_BYTES`; a part with a document type declaration (never
  in a real workbook) is refused, so no entity is ever expanded.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Context, Decimal, InvalidOperation
from posixpath import dirname, join, normpath
from xml.etree import ElementTree

from hesabe_spec.amounts import format_amount
from mock_server.state.commands import BulkLine
from mock_server.state.errors import Unprocessable

__all__ = ["MAX_PART_BYTES", "MAX_ROWS", "read_csv", "read_xlsx"]

MAX_ROWS = 1000
#: the most of one xlsx part (the sheet, the shared strings) read: a thousand rows take far less
MAX_PART_BYTES = 8 * 1024 * 1024
#: a positive KWD amount as a spreadsheet writes it ("8.999", "8", "8.5"), within the schema's bound;
#: Decimal() alone also takes "NaN", "-5" and "1e5"
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,8})(\.[0-9]{1,3})?")
_REQUIRED = ("name", "phone", "amount")

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
#: Excel keeps 15 significant digits of a number
_EXCEL_DIGITS = Context(prec=15)


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message, {"invoices": [message]})


def _decoded(encoded: str, kind: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"The invoices file must be base64-encoded {kind}.") from None


# -- the table -> lines ------------------------------------------------------------------------
def _amount_fault(amount: str) -> str:
    """What is wrong with an amount ``_AMOUNT`` refused."""
    whole, dot, fraction = amount.partition(".")
    if dot and len(fraction) > 3 and fraction.isdigit() and whole.isdigit():
        return "has more than 3 decimals"
    return "is not a positive amount of at most 9 digits and 3 decimals"


def _lines(table: Iterable[Sequence[str]]) -> tuple[BulkLine, ...]:
    """A table's rows as lines: its first row names the columns; empty rows are skipped."""
    rows = (row for row in table if any(cell.strip() for cell in row))
    header = [name.strip().casefold() for name in next(rows, [])]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise _invalid(f"The invoices file header is missing: {', '.join(missing)}.")
    lines: list[BulkLine] = []
    for n, cells in enumerate(rows, start=2):
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
        amount = row.get("amount", "")
        try:
            if not _AMOUNT.fullmatch(amount) or not Decimal(amount):
                raise ValueError(amount)
            amount = format_amount(amount)
        except (InvalidOperation, ValueError):
            raise _invalid(f"Line {n}: amount {amount!r} {_amount_fault(amount)}.") from None
        if not row.get("name") or not row.get("phone"):
            raise _invalid(f"Line {n}: name and phone are required.")
        lines.append(BulkLine(name=row["name"], phone=row["phone"], email=row.get("email", ""), amount=amount,
                              reference_number=row.get("reference_number", ""),
                              description=row.get("description", "")))
        if len(lines) > MAX_ROWS:
            raise _invalid(f"The invoices file has more than {MAX_ROWS} rows.")
    if not lines:
        raise _invalid("The invoices file has no rows.")
    return tuple(lines)


# -- csv ---------------------------------------------------------------------------------------
def read_csv(encoded: str) -> tuple[BulkLine, ...]:
    """The lines of a base64 CSV upload, or the refusal naming ``invoices``."""
    try:
        text = _decoded(encoded, "UTF-8 CSV").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid("The invoices file must be base64-encoded UTF-8 CSV.") from None
    # strict: a quote left open is an error, not a field running to the end of the file
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        return _lines(reader)
    except csv.Error as exc:  # a quote left open, a field over csv.field_size_limit() ...
        raise _invalid(f"The invoices file is not valid CSV (after line {reader.line_num}: {exc}).") from None


# -- xlsx --------------------------------------------------------------------------------------
def read_xlsx(encoded: str) -> tuple[BulkLine, ...]:
    """The lines of a base64 xlsx upload (its first sheet), or the refusal naming ``invoices``."""
    try:
        book = zipfile.ZipFile(io.BytesIO(_decoded(encoded, "xlsx")))
    except (zipfile.BadZipFile, ValueError):
        raise _invalid("The invoices file is not an xlsx workbook.") from None
    with book:
        try:
            strings = _shared_strings(book)
            table = _rows(_part(book, _first_sheet(book)), strings)
        except (KeyError, IndexError, ValueError, ArithmeticError, EOFError, NotImplementedError,
                RuntimeError, zipfile.BadZipFile, ElementTree.ParseError):
            # a part missing or damaged, a cell naming a string that is not there, an encrypted
            # or oddly compressed part
            raise _invalid("The invoices file is not an xlsx workbook this mock can read.") from None
    return _lines(table)


def _part(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    """One XML part, at most MAX_PART_BYTES, without a document type (KeyError: not there)."""
    with book.open(name) as part:
        data = part.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise _invalid(f"The invoices file's {name} is over {MAX_PART_BYTES} bytes.")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _invalid("The invoices file declares a document type, which a workbook never does.")
    return ElementTree.fromstring(data)


def _first_sheet(book: zipfile.ZipFile) -> str:
    """The path of the workbook's first sheet (``xl/worksheets/sheet1.xml`` as Excel writes it)."""
    workbook = _part(book, "xl/workbook.xml")
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        raise ValueError("no sheet")
    rel_id = sheet.get(f"{_DOC_REL}id")
    for rel in _part(book, "xl/_rels/workbook.xml.rels").iter(f"{_PACKAGE_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else normpath(join(dirname("xl/workbook.xml"),
                                                                                   target))
    raise ValueError("the first sheet has no part")


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    """The strings cells refer to by index (a workbook without text has none)."""
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    return [_text(item) for item in _part(book, "xl/sharedStrings.xml").iter(f"{_MAIN}si")]


def _text(node: ElementTree.Element) -> str:
    """A string's text: its ``<t>``, or the ``<t>`` of each formatted run (``<r>``); phonetic
    guides (``<rPh>``) are not part of it."""
    plain = node.find(f"{_MAIN}t")
    if plain is not None:
        return plain.text or ""
    return "".join(run.findtext(f"{_MAIN}t") or "" for run in node.findall(f"{_MAIN}r"))


def _column(reference: str | None, default: int) -> int:
    """``"C7"`` -> 2 (zero-based); a cell without a reference follows the one before it."""
    letters = "".join(ch for ch in reference or "" if ch.isalpha()).upper()
    if not letters:
        return default
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - ord("A") + 1
    return index - 1


def _cell(cell: ElementTree.Element, strings: Sequence[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return _text(inline) if inline is not None else ""
    value = cell.findtext(f"{_MAIN}v") or ""
    if kind == "s":
        return strings[int(value)]
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    if kind == "n" and value:
        return _number(value)
    return value  # "str" (a formula's text), "e" (an error such as #N/A)


def _number(value: str) -> str:
    """A number cell as text, at Excel's 15 significant digits: "8.5", "96566666666"."""
    number = _EXCEL_DIGITS.create_decimal(value)
    return format(number.normalize(), "f") if number.is_finite() else value


def _rows(sheet: ElementTree.Element, strings: Sequence[str]) -> list[list[str]]:
    """The sheet's rows as lists of cell texts (missing cells empty), in the order they appear."""
    table: list[list[str]] = []
    for row in sheet.iter(f"{_MAIN}row"):
        cells: dict[int, str] = {}
        for cell in row.iter(f"{_MAIN}c"):
            column = _column(cell.get("r"), max(cells, default=-1) + 1)
            if column > 16383:  # past Excel's last column, XFD
                raise ValueError(f"column {column}")
            cells[column] = _cell(cell, strings)
        table.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
        if len(table) > MAX_ROWS + 1:  # the header and the rows allowed, then one too many
            break
    return table
