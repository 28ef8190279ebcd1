"""The file of a bulk upload (``invoices``, base64) read into the domain's lines: CSV or xlsx.

Both are a table whose first row names the columns: name,phone,email,amount,reference_number,
description, in any case and order; extra columns are ignored; name, phone and amount are
required. A bad file is refused whole, the message under ``invoices`` naming the line.

* **csv** (``fileType`` "csv"): UTF-8, with or without a byte-order mark; quoted fields as
  spreadsheets write them (a quote left open is refused).
* **xlsx** (``fileType`` "xlsx"): the workbook's first sheet, read with the standard library
  (an xlsx file is a zip of XML parts: the sheet, and the strings its cells share). A number cell
  is read at Excel's 15 significant digits, so ``8.5`` is "8.5" and a phone number stays whole;
  one formatted as a date or a time is that date ("2024-03-01", "2024-03-01 09:30:00"), so a date
  typed in the amount column is refused as the amount it is not.
  A part is read only if it is stored or deflated (as every spreadsheet writes them), up to
  :data:`MAX_PART_BYTES`, UTF-8 (as every spreadsheet writes them) and without a document type or
  entity declaration, so no entity is ever expanded.

A line's number in a refusal is its line in the CSV, its row number in the sheet.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Context, Decimal, InvalidOperation
from posixpath import dirname, join, normpath
from typing import NamedTuple
from xml.etree import ElementTree

from hesabe_spec.amounts import MAX_AMOUNT, format_amount
from mock_server.state.commands import BulkLine
from mock_server.state.errors import Unprocessable

__all__ = ["MAX_PART_BYTES", "MAX_ROWS", "read_csv", "read_xlsx"]

MAX_ROWS = 1000
#: the most of one xlsx part (the sheet, the shared strings) read: a thousand rows take far less
MAX_PART_BYTES = 8 * 1024 * 1024
#: a positive KWD amount as a spreadsheet writes it ("8.999", "8", "8.5"), within the schema's bound
#: (MAX_AMOUNT's whole digits); Decimal() alone also takes "NaN", "-5" and "1e5"
_AMOUNT = re.compile(rf"(0|[1-9][0-9]{{0,{len(str(int(MAX_AMOUNT))) - 1}}})(\.[0-9]{{1,3}})?")
_REQUIRED = ("name", "phone", "amount")

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
#: Excel keeps 15 significant digits of a number
_EXCEL_DIGITS = Context(prec=15)
#: a number written out in full only within this many digits of the point (1E+999990 stays as
#: written: a megabyte of zeros helps nobody)
_WRITTEN_OUT = 30
_WORKBOOK = "xl/workbook.xml"
#: the built-in number formats that show a date or a time (ECMA-376 §18.8.30; 27-36 and 50-58 are
#: the East Asian dates)
_DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
#: what a format code shows literally: quoted text, [colour] / [$-locale] / [h] brackets, escapes,
#: padding and fill characters
_LITERAL = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
#: day 0 of the 1900 date system (Excel counts a 29 February 1900 that never was: from March 1900
#: on, days are counted from here) and of the 1904 one
_EPOCH_1900, _EPOCH_1904 = datetime(1899, 12, 30), datetime(1904, 1, 1)
#: the last day Excel has, 9999-12-31
_LAST_SERIAL = 2958466
#: where Excel puts the shared strings
_STRINGS = "xl/sharedStrings.xml"


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


def _filled(row: Sequence[str]) -> bool:
    return any(cell.strip() for cell in row)


def _lines(table: Iterable[tuple[int, Sequence[str]]]) -> tuple[BulkLine, ...]:
    """A table's ``(line number, cells)`` as lines: its first row names the columns; empty rows
    are skipped."""
    rows = ((n, row) for n, row in table if _filled(row))
    header = [name.strip().casefold() for name in next(rows, (0, []))[1]]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise _invalid(f"The invoices file header is missing: {', '.join(missing)}.")
    lines: list[BulkLine] = []
    for n, cells in rows:
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
        return _lines((reader.line_num, row) for row in reader)
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
            parts = _parts_of(book)
            reading = _Reading(_shared_strings(book, parts.strings), _date_styles(book, parts.styles),
                               _EPOCH_1904 if parts.date1904 else _EPOCH_1900)
            table = _rows(_part(book, parts.sheet), reading)
        except (KeyError, IndexError, ValueError, ArithmeticError, EOFError, RuntimeError, zlib.error,
                zipfile.BadZipFile, ElementTree.ParseError):
            # a part missing or damaged (its deflate stream too), a cell naming a string that is
            # not there, an encrypted part
            raise _invalid("The invoices file is not an xlsx workbook this mock can read.") from None
    return _lines(table)


def _part(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    """One XML part (KeyError: not there): stored or deflated, at most MAX_PART_BYTES, UTF-8, and
    without a document type or entity declaration."""
    compression = book.getinfo(name).compress_type
    if compression not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f"{name}: compression {compression}")
    with book.open(name) as part:
        data = part.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise _invalid(f"The invoices file's {name} is over {MAX_PART_BYTES} bytes.")
    text = data.decode("utf-8")  # ValueError otherwise: a UTF-16 part could hide a declaration
    if "\x00" in text or "<!DOCTYPE" in text or "<!ENTITY" in text:  # NUL: no XML text has one
        raise _invalid("The invoices file declares a document type, which a workbook never does.")
    return ElementTree.fromstring(data)


class _Parts(NamedTuple):
    sheet: str
    #: None: the workbook has no such part
    strings: str | None
    styles: str | None
    #: the workbook counts days from 1904 (old Mac workbooks)
    date1904: bool


class _Reading(NamedTuple):
    """What reading a cell needs from the rest of the workbook."""

    strings: Sequence[str]
    #: the cell styles (a cell's ``s``) whose number format shows a date or a time
    dates: frozenset[int]
    epoch: datetime


def _parts_of(book: zipfile.ZipFile) -> _Parts:
    """The workbook's first sheet (in tab order), its shared strings and its styles, found through
    the workbook's relationships as every writer records them."""
    workbook = _part(book, _WORKBOOK)
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        raise ValueError("no sheet")
    properties = workbook.find(f"{_MAIN}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "") in ("1", "true")
    targets: dict[str, str] = {}
    found: dict[str, str] = {}
    for rel in _part(book, "xl/_rels/workbook.xml.rels").iter(f"{_PACKAGE_REL}Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(_WORKBOOK), target))
        targets[rel.get("Id", "")] = path
        found[rel.get("Type", "").rpartition("/")[2]] = path
    strings = found.get("sharedStrings")
    if strings is None and _STRINGS in book.namelist():  # a writer that left the relationship out
        strings = _STRINGS
    return _Parts(targets[sheet.get(f"{_DOC_REL}id", "")], strings, found.get("styles"), date1904)


def _date_styles(book: zipfile.ZipFile, part: str | None) -> frozenset[int]:
    """The cell styles whose number format shows a date or a time."""
    if part is None:
        return frozenset()
    styles = _part(book, part)
    codes = {int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
             for fmt in styles.iter(f"{_MAIN}numFmt")}
    cell_styles = styles.find(f"{_MAIN}cellXfs")
    formats = [int(xf.get("numFmtId", "0")) for xf in (cell_styles if cell_styles is not None else [])]
    return frozenset(n for n, fmt in enumerate(formats)
                     if fmt in _DATE_FORMATS or (fmt in codes and _shows_date(codes[fmt])))


def _shows_date(code: str) -> bool:
    """Whether a custom number format shows a day, month, year, hour or second."""
    return any(ch in "dmyhs" for ch in _LITERAL.sub("", code).lower())


def _shared_strings(book: zipfile.ZipFile, part: str | None) -> list[str]:
    """The strings cells refer to by index (a workbook without text has none)."""
    return [] if part is None else [_text(item) for item in _part(book, part).iter(f"{_MAIN}si")]


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


def _column_name(index: int) -> str:
    """0 -> ``"A"``, 27 -> ``"AB"``: the inverse of :func:`_column`."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _cell(cell: ElementTree.Element, reading: _Reading) -> str:
    strings = reading.strings
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return _text(inline) if inline is not None else ""
    value = cell.findtext(f"{_MAIN}v") or ""
    if kind == "s":
        index = int(value)
        if not 0 <= index < len(strings):
            raise IndexError(index)
        return strings[index]
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    if kind == "n" and value:
        if int(cell.get("s") or 0) in reading.dates:
            return _date(value, reading.epoch)
        return _number(value)
    return value  # "str" (a formula's text), "e" (an error such as #N/A)


def _date(value: str, epoch: datetime) -> str:
    """A date cell's serial day number as the date it shows; a number no date has, as written."""
    serial = Decimal(value)
    if not 0 <= serial < _LAST_SERIAL:
        return value
    moment = epoch + timedelta(seconds=round(serial * 86400))
    return moment.strftime("%Y-%m-%d" if moment.time() == datetime.min.time() else "%Y-%m-%d %H:%M:%S")


def _number(value: str) -> str:
    """A number cell as text, at Excel's 15 significant digits: "8.5", "96566666666"."""
    number = _EXCEL_DIGITS.create_decimal(value)
    if not number.is_finite() or abs(number.adjusted()) > _WRITTEN_OUT:
        return value
    return format(number.normalize(), "f")


def _rows(sheet: ElementTree.Element, reading: _Reading) -> list[tuple[int, list[str]]]:
    """The sheet's rows as ``(row number, cell texts)`` (missing cells empty), in the order they
    appear; empty rows (Excel writes a formatted one) are read but not kept."""
    table: list[tuple[int, list[str]]] = []
    number = 0
    for row in sheet.iter(f"{_MAIN}row"):
        number = int(row.get("r") or number + 1)
        cells: dict[int, str] = {}
        column = -1
        for cell in row.iter(f"{_MAIN}c"):
            column = _column(cell.get("r"), column + 1)
            if column > 16383:  # past Excel's last column, XFD
                raise ValueError(f"column {column}")
            # a value saved with it: <v> (<v></v>: saved empty), or an inline string's <is>
            saved = cell.find(f"{_MAIN}v") is not None or cell.find(f"{_MAIN}is") is not None
            if cell.find(f"{_MAIN}f") is not None and not saved:
                raise _invalid(f"The invoices file's cell {_column_name(column)}{number} holds a formula "
                               "without a saved value (written by a library, never calculated by a "
                               "spreadsheet app): save the workbook from a spreadsheet app, or write the "
                               "value itself.")
            cells[column] = _cell(cell, reading)
        texts = [cells.get(i, "") for i in range(max(cells, default=-1) + 1)]
        if _filled(texts):
            table.append((number, texts))
            if len(table) > MAX_ROWS + 1:  # the header and the rows allowed, then one too many
                break
    return table
