"""Bulk upload of an xlsx workbook: read like the same table as CSV, and every broken file refused.

The workbooks are written here part by part (an xlsx file is a zip of XML parts), as Excel and
LibreOffice write them: shared strings, inline strings, rich-text runs, numbers at double
precision, sparse cells.
"""

from __future__ import annotations

import base64
import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.handlers import bulk_files
from mock_server.handlers.bulk_files import read_csv, read_xlsx
from mock_server.state.commands import BulkLine
from mock_server.state.errors import Unprocessable
from mock_server.testing import MockHandle, inprocess_mock

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
Cell = str | int | float | None


_column = bulk_files._column_name  # checked against the reader's own parse below


def workbook(rows: Sequence[Sequence[Cell]], *, shared: bool = True,
             sheet_target: str = "worksheets/sheet1.xml", parts: dict[str, str] | None = None) -> str:
    """A base64 xlsx of ``rows``: text cells shared (or inline), numbers as numbers, None left out."""
    strings: list[str] = []
    xml_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}"
            if value is None:
                continue
            if isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            elif shared:
                strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    files = {
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                           f'<sheet name="Invoices" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
                                      f'Type="{REL}/worksheet" Target="{sheet_target}"/>'
                                      + (f'<Relationship Id="rId2" Type="{REL}/sharedStrings" '
                                         'Target="sharedStrings.xml"/>' if strings else "")
                                      + "</Relationships>",
        "xl/" + sheet_target.lstrip("/").removeprefix("xl/"):
            f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>',
    }
    if strings:
        items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        files["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{items}</sst>'
    files.update(parts or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in files.items():
            book.writestr(name, text)
    return base64.b64encode(buffer.getvalue()).decode()


def _csv(rows: Sequence[Sequence[Cell]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else str(v) for v in row] for row in rows])
    return base64.b64encode(out.getvalue().encode()).decode()


def _refused(encoded: str) -> str:
    with pytest.raises(Unprocessable) as refused:
        read_xlsx(encoded)
    assert list(refused.value.field_errors or {}) == ["invoices"]
    return refused.value.message


def test_a_workbook_as_excel_writes_it() -> None:
    rows: list[list[Cell]] = [
        ["Name", "PHONE", "email", "Amount", "reference_number", "Description", "notes"],
        ["Ali, Jr.", 96566666666, None, 8.5, "R-1", "Rent \"April\"", "ignored"],
        ["فاطمة", "96555555555", "f@example.com", 12.345000000000001, None, None],
        [None, None, None, None],  # an empty row, left out
        ["Sara", 96544444444, "", 3],
    ]
    assert read_xlsx(workbook(rows)) == (
        BulkLine(name="Ali, Jr.", phone="96566666666", email="", amount="8.500", reference_number="R-1",
                 description='Rent "April"'),
        BulkLine(name="فاطمة", phone="96555555555", email="f@example.com", amount="12.345",
                 reference_number="", description=""),
        BulkLine(name="Sara", phone="96544444444", email="", amount="3.000", reference_number="",
                 description=""),
    )


def test_inline_strings_rich_text_and_a_sheet_elsewhere() -> None:
    rich = (f'<sst xmlns="{MAIN}"><si><r><t>na</t></r><r><rPr/><t>me</t></r><rPh><t>ignored</t></rPh></si>'
            f"</sst>")
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData>'
             '<row><c t="s"><v>0</v></c><c t="inlineStr"><is><t>phone</t></is></c>'
             '<c t="inlineStr"><is><t>amount</t></is></c></row>'
             '<row><c t="inlineStr"><is><t>Ali</t></is></c><c><v>96566666666</v></c><c><v>1E1</v></c></row>'
             "</sheetData></worksheet>")
    encoded = workbook([], sheet_target="/xl/sheets/data.xml",
                       parts={"xl/sharedStrings.xml": rich, "xl/sheets/data.xml": sheet})
    assert read_xlsx(encoded) == (BulkLine(name="Ali", phone="96566666666", email="", amount="10.000",
                                           reference_number="", description=""),)


#: text a cell can hold (XML 1.0 has no control characters, surrogates or U+FFFE/U+FFFF)
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=12)
_LINE = st.tuples(st.from_regex(r"[A-Za-z][A-Za-z ]{0,10}", fullmatch=True),
                  st.from_regex(r"965[0-9]{8}", fullmatch=True), _TEXT,
                  st.decimals(min_value="0.001", max_value="99999", places=3).map(str), _TEXT)


@given(st.lists(_LINE, min_size=1, max_size=8), st.booleans())
def test_a_table_reads_the_same_as_xlsx_and_as_csv(lines: list[tuple[str, ...]], shared: bool) -> None:
    rows: list[list[Cell]] = [["name", "phone", "email", "amount", "description"], *map(list, lines)]
    assert read_xlsx(workbook(rows, shared=shared)) == read_csv(_csv(rows))


def _zip(files: dict[str, str | bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for name, data in files.items():
            book.writestr(name, data)
    return base64.b64encode(buffer.getvalue()).decode()


GOOD = [["name", "phone", "amount"], ["Ali", 96566666666, 5]]


@pytest.mark.parametrize(("encoded", "says"), [
    (base64.b64encode(b"name,phone,amount\nAli,1,2\n").decode(), "not an xlsx workbook"),
    ("not base64!", "must be base64-encoded xlsx"),
    (_zip({"xl/worksheets/sheet1.xml": "<worksheet/>"}), "this mock can read"),  # no workbook part
    (workbook(GOOD, parts={"xl/workbook.xml": "<workbook"}), "this mock can read"),  # not XML
    (workbook(GOOD, parts={"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}"/>'}), "this mock can read"),  # index
    (workbook(GOOD, parts={"xl/worksheets/sheet1.xml":
                           f'<worksheet xmlns="{MAIN}"><sheetData><row><c><v>x</v></c></row></sheetData>'
                           f"</worksheet>"}), "this mock can read"),  # a number that is not one
    (workbook(GOOD, parts={"xl/sharedStrings.xml": '<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]>'
                                                   f'<sst xmlns="{MAIN}"><si><t>&a;</t></si></sst>'}),
     "document type"),
    (workbook([["name", "phone"], ["Ali", 1]]), "header is missing: amount"),
    (workbook([["name", "phone", "amount"]]), "no rows"),
    (workbook([["name", "phone", "amount"], ["Ali", 1, 1.0005]]), "Line 2: amount '1.0005' has more than 3"),
])
def test_a_broken_workbook_is_refused_saying_why(encoded: str, says: str) -> None:
    assert says in _refused(encoded)


def test_a_part_over_the_limit_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_files, "MAX_PART_BYTES", 200)
    big = workbook([["name", "phone", "amount"], *([["Ali", 96566666666, 5]] * 20)])
    assert "is over 200 bytes" in _refused(big)


def test_more_rows_than_allowed_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_files, "MAX_ROWS", 3)
    assert "more than 3 rows" in _refused(workbook([["name", "phone", "amount"], *([["Ali", 1, 5]] * 4)]))


@pytest.fixture
def mock() -> Iterator[MockHandle]:
    with inprocess_mock() as handle:
        yield handle


def _upload(mock: MockHandle, file_type: str, encoded: str) -> Any:
    return mock.default_client.call("upload_bulk_invoices", {"isScheduled": "false", "fileType": file_type,
                                                              "invoices": encoded},
                                     validate=False, raise_errors=False)


def test_an_xlsx_upload_over_the_wire_keeps_its_rows(mock: MockHandle) -> None:
    rows: list[list[Cell]] = [["name", "phone", "amount", "description"], ["Ali", 96566666666, 8.5, "Fee"],
                              ["Sara", 96544444444, 2, ""]]
    uploaded = _upload(mock, "xlsx", workbook(rows))
    assert uploaded.ok, uploaded.envelope
    assert [(r["name"], r["phone"], r["amount"]) for r in uploaded.response] == [
        ("Ali", "96566666666", "8.500"), ("Sara", "96544444444", "2.000")]
    listed = mock.default_client.call("list_bulk_invoices", {}, raise_errors=False)
    assert [r["name"] for r in listed.response["data"]][:2] in (["Ali", "Sara"], ["Sara", "Ali"])


def test_a_csv_sent_as_xlsx_is_refused_and_stores_nothing(mock: MockHandle) -> None:
    mock.default_client.list_invoices()  # logged in before the fingerprint
    before = mock.runtime.store.fingerprint()
    refused = _upload(mock, "xlsx", _csv(GOOD))
    assert refused.status == 400 and list(refused.envelope["response"]) == ["invoices"]
    assert mock.runtime.store.fingerprint() == before


def _rewritten(encoded: str, name: str, data: bytes | None = None,
               compression: int = zipfile.ZIP_DEFLATED) -> str:
    """The workbook with part ``name`` written again (``data``, or as it was) with ``compression``."""
    source = zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == name:
                book.writestr(item.filename, content if data is None else data, compress_type=compression)
            else:
                book.writestr(item.filename, content, compress_type=zipfile.ZIP_DEFLATED)
    return base64.b64encode(buffer.getvalue()).decode()


def _corrupt_deflate(encoded: str, name: str) -> str:
    """The workbook with the first bytes of part ``name``'s deflate stream overwritten."""
    raw = bytearray(base64.b64decode(encoded))
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start:start + 4] = b"\xff\xff\xff\xff"
    return base64.b64encode(bytes(raw)).decode()


SHEET = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize("damage", [
    lambda e: _corrupt_deflate(e, SHEET),  # zlib.error while reading
    lambda e: _rewritten(e, SHEET, compression=zipfile.ZIP_LZMA),  # no spreadsheet writes LZMA
    lambda e: _rewritten(e, SHEET, compression=zipfile.ZIP_BZIP2),
    lambda e: _rewritten(e, "xl/sharedStrings.xml",
                         f'<sst xmlns="{MAIN}"><si><t>x</t></si></sst>'.encode()),  # strings too few
])
def test_a_damaged_part_is_a_refusal_not_an_error(damage: Any) -> None:
    assert "this mock can read" in _refused(damage(workbook(GOOD)))


def test_a_utf16_part_cannot_smuggle_an_entity() -> None:
    sheet = (f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY x "EXPANDED">]>'
             f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="inlineStr"><is><t>name</t></is></c>'
             '<c t="inlineStr"><is><t>phone</t></is></c><c t="inlineStr"><is><t>amount</t></is></c></row>'
             '<row><c t="inlineStr"><is><t>&x;</t></is></c><c><v>1</v></c><c><v>1</v></c></row>'
             "</sheetData></worksheet>")
    for data in (sheet.encode("utf-16"), sheet.encode("utf-16-le")):
        assert _refused(_rewritten(workbook(GOOD), SHEET, data))


def test_a_negative_string_index_is_refused() -> None:
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="s"><v>-1</v></c></row></sheetData></worksheet>'
    assert "this mock can read" in _refused(_rewritten(workbook(GOOD), SHEET, sheet.encode()))


def _sheet_rows(rows: str) -> str:
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'
    return _rewritten(workbook(GOOD), SHEET, sheet.encode())


HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>phone</t></is></c>'
              '<c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>')


def _data_row(n: int, amount: str = "5") -> str:
    return (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>Ali</t></is></c>'
            f'<c r="B{n}"><v>96566666666</v></c><c r="C{n}"><v>{amount}</v></c></row>')


def test_formatted_empty_rows_count_neither_as_lines_nor_against_the_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_files, "MAX_ROWS", 5)
    blanks = "".join(f'<row r="{n}"><c r="A{n}" s="1"/></row>' for n in range(2, 12))
    five = "".join(_data_row(n) for n in range(12, 17))
    assert len(read_xlsx(_sheet_rows(HEADER_ROW + blanks + five))) == 5
    assert "more than 5 rows" in _refused(_sheet_rows(HEADER_ROW + blanks + five + _data_row(17)))


def test_a_refusal_names_the_sheet_row() -> None:
    rows = HEADER_ROW + '<row r="3"><c r="A3" s="1"/></row>' + _data_row(4) + _data_row(7, "1.0005")
    assert _refused(_sheet_rows(rows)) == "Line 7: amount '1.0005' has more than 3 decimals."


def test_a_huge_exponent_is_kept_as_written_not_expanded() -> None:
    row = _data_row(2)[:-len("</row>")] + '<c r="D2"><v>1E+999990</v></c></row>'
    header = HEADER_ROW[:-len("</row>")] + '<c r="D1" t="inlineStr"><is><t>description</t></is></c></row>'
    (line,) = read_xlsx(_sheet_rows(header + row))
    assert line.description == "1E+999990"
    assert "is not a positive amount" in _refused(_sheet_rows(HEADER_ROW + _data_row(2, "1E+999990")))


def _styled(rows: str, formats: Sequence[tuple[int, str | None]], *, date1904: bool = False) -> str:
    """A sheet of ``rows`` whose cell styles 1.. use ``formats`` (numFmtId, custom code or None)."""
    custom = "".join(f'<numFmt numFmtId="{n}" formatCode="{escape(code, {chr(34): "&quot;"})}"/>'
                     for n, code in formats if code is not None)
    xfs = '<xf numFmtId="0"/>' + "".join(f'<xf numFmtId="{n}" applyNumberFormat="1"/>' for n, _ in formats)
    styles = f'<styleSheet xmlns="{MAIN}"><numFmts>{custom}</numFmts><cellXfs>{xfs}</cellXfs></styleSheet>'
    book = (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">' + ('<workbookPr date1904="1"/>' if date1904 else "")
            + '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = (f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{REL}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="{REL}/styles" '
            f'Target="styles.xml"/></Relationships>')
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'
    return _zip({"xl/workbook.xml": book, "xl/_rels/workbook.xml.rels": rels, "xl/styles.xml": styles,
                 SHEET: sheet})


DESCRIBED = HEADER_ROW[:-len("</row>")] + '<c r="D1" t="inlineStr"><is><t>description</t></is></c></row>'


def _described(style: int, value: str, amount_style: int = 0, amount: str = "5") -> str:
    return (f'<row r="2"><c r="A2" t="inlineStr"><is><t>Ali</t></is></c><c r="B2"><v>96566666666</v></c>'
            f'<c r="C2" s="{amount_style}"><v>{amount}</v></c><c r="D2" s="{style}"><v>{value}</v></c></row>')


@pytest.mark.parametrize(("fmt", "value", "shown"), [
    ((14, None), "45352", "2024-03-01"),  # built-in m/d/yyyy
    ((164, "yyyy-mm-dd"), "45352", "2024-03-01"),
    ((165, "dd/mm/yyyy hh:mm"), "45352.395833333336", "2024-03-01 09:30:00"),
    ((166, "[$-409]mmm d, yyyy;@"), "45352", "2024-03-01"),
    ((167, '#,##0.000 "KWD"'), "8.5", "8.5"),  # a currency format is no date
    ((168, "[$KWD-3401] #,##0.000"), "8.5", "8.5"),
    ((4, None), "1234.5", "1234.5"),  # built-in #,##0.00
])
def test_a_date_formatted_number_reads_as_its_date(fmt: tuple[int, str | None], value: str,
                                                   shown: str) -> None:
    (line,) = read_xlsx(_styled(DESCRIBED + _described(1, value), [fmt]))
    assert line.description == shown


def test_a_1904_workbook_counts_from_1904() -> None:
    (line,) = read_xlsx(_styled(DESCRIBED + _described(1, "43890"), [(14, None)], date1904=True))
    assert line.description == "2024-03-01"


def test_a_date_in_the_amount_column_is_refused_as_no_amount() -> None:
    refusal = _refused(_styled(DESCRIBED + _described(0, "1", amount_style=1, amount="45352"), [(14, None)]))
    assert refusal.startswith("Line 2: amount '2024-03-01' is not a positive amount")


def test_a_formula_without_a_saved_value_is_refused_by_its_cell() -> None:
    calculated = ('<row r="2"><c r="A2" t="inlineStr"><is><t>Ali</t></is></c><c r="B2"><v>96566666666</v></c>'
                  '<c r="C2"><f>2+3</f><v>5</v></c></row>')
    (line,) = read_xlsx(_sheet_rows(HEADER_ROW + calculated))
    assert line.amount == "5.000"  # a spreadsheet app saved the formula's value: it is read
    never_calculated = calculated.replace("<v>5</v>", "").replace('r="2"', 'r="9"').replace("2\"", "9\"")
    message = _refused(_sheet_rows(HEADER_ROW + never_calculated))
    assert message.startswith("The invoices file's cell C9 holds a formula without a saved value")


def test_a_formula_saved_empty_reads_as_empty() -> None:
    """A template row (=IF(A3="","",B3*2)) that a spreadsheet app saved as empty text is a blank
    row, as before: only a formula with no saved value at all is refused."""
    blank = '<row r="3"><c r="C3" t="str"><f>IF(A3="","",B3*2)</f><v></v></c></row>'
    (line,) = read_xlsx(_sheet_rows(HEADER_ROW + _data_row(2) + blank))
    assert line.name == "Ali"
    inline = ('<row r="3"><c r="A3" t="inlineStr"><f>A2</f><is><t>Sara</t></is></c>'
              '<c r="B3"><v>96566666667</v></c><c r="C3"><v>7</v></c></row>')
    lines = read_xlsx(_sheet_rows(HEADER_ROW + _data_row(2) + inline))
    assert [line.name for line in lines] == ["Ali", "Sara"]


@pytest.mark.parametrize("index", [0, 25, 26, 701, 702, 16383])
def test_column_names_and_indexes_agree(index: int) -> None:
    assert bulk_files._column(bulk_files._column_name(index) + "1", -1) == index
