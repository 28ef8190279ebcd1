"""Seed documents: invoices, open invoices and bulk rows loaded straight into the store.

Format (every list optional; docs/control-plane.md has a full example)::

    {"merchant_code": "842217",
     "invoices":      [{"id": 14697, "amount": "20.000", "token": "8417596678339677489", ...}],
     "open_invoices": [{"id": 926, "title": "Test", "type": 0, "fixed_amount": "100.000"}],
     "bulk_rows":     [{"id": 12887, "reference_number": "bb01-0000008", "amount": "8.999"}]}

A record uses the field names of the API's own JSON (the details shape of an invoice, the list
row of an open invoice or bulk row), so a real response can be pasted in; wire-only keys such as
``url`` are ignored, unknown keys are refused (a typo must not silently become a default).
Missing fields get the values a freshly created record would have. ``id`` is optional: given,
it is kept (fixtures refer to real ids); absent, the store assigns one. ``merchant_code`` (top
level or per record) picks the merchant; otherwise a record's ``merchant_id``, otherwise the
first merchant.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import InvoiceKind, InvoiceSubType, OpenInvoiceType
from hesabe_spec.errors import RequestValidationError
from mock_server.clock import Clock
from mock_server.merchants import MAX_GIVEN_ID, Merchant, MerchantRegistry
from mock_server.state import keys
from mock_server.state.invoices import DEFAULT_PAY_TYPES
from mock_server.state.models import BulkRow, Customer, Invoice, OpenInvoice
from mock_server.state.store import BIGINT_MAX, BIGINT_MIN, KeyConflict, Store

__all__ = ["MAX_SEED_FILE_BYTES", "MAX_SEED_ID", "SeedError", "fixture_names", "load_seed", "read_seed_file",
           "seed_fixture"]

#: keys the API shows that are derived, not stored: accepted and ignored
_WIRE_ONLY = frozenset({"url", "spliturl", "created_by_merchant", "merchant_id", "merchant_code",
                        "order_drop_id", "rentperiod", "total_customer_paid_count",
                        "total_amount_customer_paid"})
_MONEY = frozenset({"amount", "service_charge", "admin_charge", "discount", "fixed_amount", "min_amount",
                    "max_amount"})
_INTS = frozenset({"invoice_type", "invoice_sub_type", "invoice_status", "sms_status", "url_status",
                   "visited_count", "country_id", "created_id", "type", "paid_status", "status",
                   "created_by", "has_schedule", "id"})


#: the record fields that hold text (a number or list there would reach the search index, the pages)
_TEXT = frozenset({"str", "str | None"})
#: the record fields that hold a list of objects (payments, attempts, items)
_OBJECTS = frozenset({"tuple[dict[str, Any], ...]"})
#: what a SQL store keeps in an INTEGER column
_SQL_INTEGERS = (BIGINT_MIN, BIGINT_MAX)
#: the largest id a seed may give (MAX_GIVEN_ID): a seed can never use up an id sequence (at
#: BIGINT_MAX, every create on a shared database would fail until the sequence was set back by
#: hand, and a reset keeps sequences: ids are never reused)
MAX_SEED_ID = MAX_GIVEN_ID


class SeedError(ValueError):
    """The seed document is malformed; the message names the record and the field."""


def fixture_names() -> list[str]:
    """The seed documents shipped in the package (``mock_server/seeds/<name>.json``)."""
    folder = resources.files("mock_server").joinpath("seeds")
    return sorted(item.name.removesuffix(".json") for item in folder.iterdir() if item.name.endswith(".json"))


def seed_fixture(name: str) -> Any:
    """A shipped seed document by name (``seed-pages``: the records of Hesabe's documentation pages,
    with their real ids and dates)."""
    if name not in fixture_names():
        raise SeedError(f"no seed fixture {name!r}; shipped: {', '.join(fixture_names())}")
    return json.loads(resources.files("mock_server").joinpath(f"seeds/{name}.json").read_text("utf-8"))


#: the largest seed file ``POST /_mock/seed {"path": ...}`` reads (``hesabe-mock --seed`` reads any)
MAX_SEED_FILE_BYTES = 64 * 2**20


def read_seed_file(path: str, *, limit: int | None = None) -> Any:
    """The JSON document in file ``path``. With a ``limit`` (the control plane's: it reads inside
    the event loop every request waits on), only a regular file of at most ``limit`` bytes: a
    device or a FIFO could be read forever."""
    try:
        if limit is None:
            return json.loads(Path(path).read_text(encoding="utf-8"))
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise SeedError(f"seed file {path} is not a regular file")
            raw = file.read(limit + 1)
        if len(raw) > limit:
            raise SeedError(f"seed file {path} is larger than the {limit} bytes the control plane reads "
                            "(seed it at start instead: hesabe-mock --seed FILE)")
        return json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise SeedError(f"cannot read seed file {path}: {exc.strerror or exc} (a shipped fixture is named "
                        f"instead: {', '.join(fixture_names())})") from None
    except SeedError:
        raise
    except ValueError as exc:
        raise SeedError(f"seed file {path} is not valid JSON: {exc}") from None


def _merchant(reg: MerchantRegistry, rec: dict[str, Any], default: str | None, where: str) -> Merchant:
    code = rec.get("merchant_code", default)
    if code is not None:
        found = [m for m in reg.merchants if m.merchant_code == str(code)]
        if not found:
            raise SeedError(f"{where}: unknown merchant_code {code!r}")
        return found[0]
    if "merchant_id" in rec:
        try:
            merchant = reg.by_id(int(rec["merchant_id"]))
        except (TypeError, ValueError):
            merchant = None
        if merchant is None:
            raise SeedError(f"{where}: unknown merchant_id {rec['merchant_id']!r}")
        return merchant
    return reg.merchants[0]


def _fields(cls: type, rec: dict[str, Any], where: str) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(rec) - names - _WIRE_ONLY)
    if unknown:
        raise SeedError(f"{where}: unknown field(s) {', '.join(unknown)}")
    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    out: dict[str, Any] = {}
    for key, value in rec.items():
        if key not in names or key == "merchant_id":
            continue
        try:
            if key in _MONEY and value is not None:
                value = format_amount(value)
            elif key in _INTS and value is not None:
                value = int(value)
        except (ArithmeticError, TypeError, ValueError, RequestValidationError):
            raise SeedError(f"{where}: {key} must be a number, got {value!r}") from None
        if key in _INTS and value is not None and not _SQL_INTEGERS[0] <= value <= _SQL_INTEGERS[1]:
            raise SeedError(f"{where}: {key} must be a 64-bit integer, got {value!r}")
        if key == "id" and value is not None and not 0 < value <= MAX_SEED_ID:
            raise SeedError(f"{where}: id must be from 1 to {MAX_SEED_ID} (2^53 - 1: the largest a "
                            "JavaScript client reads exactly; the ids above are the mock's own), "
                            f"got {value!r}")
        if kinds[key] in _TEXT and value is not None and not isinstance(value, str):
            raise SeedError(f"{where}: {key} must be a string, got {value!r}")
        if kinds[key] in _OBJECTS and value is not None and not (
                isinstance(value, list) and all(isinstance(item, dict) for item in value)):
            raise SeedError(f"{where}: {key} must be a list of objects, got {value!r}")
        if kinds[key].startswith("dict[") and value is not None and not isinstance(value, dict):
            raise SeedError(f"{where}: {key} must be an object, got {value!r}")
        if value is None and "None" not in kinds[key] and kinds[key] != "Any":
            continue  # a field that cannot be null: absent, the default a new record has
        out[key] = value
    if isinstance(out.get("customer"), dict) and not all(
            isinstance(v, str) or (k == "phone_number" and v is None) for k, v in out["customer"].items()):
        raise SeedError(f"{where}: customer's name, email and phone_number must be strings")
    return out


def _invoice(rec: dict[str, Any], merchant: Merchant, clock: Clock, where: str) -> Invoice:
    f = _fields(Invoice, rec, where)
    now = clock.stamp()
    customer = f.pop("customer", None) or {}
    if not isinstance(customer, dict):
        raise SeedError(f"{where}: customer must be an object")
    methods = f.pop("payment_method", DEFAULT_PAY_TYPES)
    methods = methods.split(",") if isinstance(methods, str) else methods
    f.setdefault("amount", "0.000")
    return Invoice(
        merchant_id=merchant.merchant_id,
        invoice_type=f.pop("invoice_type", int(InvoiceKind.SINGLE)),
        invoice_sub_type=f.pop("invoice_sub_type", int(InvoiceSubType.URL)),
        token=f.pop("token", None) or keys.invoice_token(merchant.merchant_id, clock.time()),
        access_key=f.pop("access_key", None) or keys.access_key(),
        reference_number=str(f.pop("reference_number", "") or ""),
        created_at=f.pop("created_at", None) or now,
        updated_at=f.pop("updated_at", None) or now,
        customer=Customer(customer.get("name", ""), customer.get("email", ""), customer.get("phone_number")),
        payment_method=tuple(str(m) for m in methods if str(m)),
        products=tuple(p for p in f.pop("products", ()) or () if p is not None),
        payment_attempts=tuple(f.pop("payment_attempts", ()) or ()),
        created_id=f.pop("created_id", merchant.merchant_id),
        **f,
    )


def _open_invoice(rec: dict[str, Any], merchant: Merchant, clock: Clock, where: str) -> OpenInvoice:
    f = _fields(OpenInvoice, rec, where)
    now = clock.stamp()
    return OpenInvoice(
        merchant_id=merchant.merchant_id,
        title=str(f.pop("title", "")),
        reference_number=(f.pop("reference_number", None)
                          or keys.invoice_token(merchant.merchant_id, clock.time())),
        type=f.pop("type", int(OpenInvoiceType.FIXED)),
        fixed_amount=f.pop("fixed_amount", "0.000"),
        min_amount=f.pop("min_amount", "0.000"),
        max_amount=f.pop("max_amount", "0.000"),
        access_key=f.pop("access_key", None) or keys.access_key(),
        created_at=f.pop("created_at", None) or now,
        updated_at=f.pop("updated_at", None) or now,
        created_by=f.pop("created_by", merchant.merchant_id),
        payments=tuple(f.pop("payments", ()) or ()),
        **f,
    )


def _bulk_row(rec: dict[str, Any], merchant: Merchant, clock: Clock, where: str) -> BulkRow:
    f = _fields(BulkRow, rec, where)
    now = clock.stamp()
    defaults = {"reference_number": "", "name": "", "phone": "", "email": "", "amount": "0.000",
                "description": "", "created_at": now, "updated_at": now}
    return BulkRow(merchant_id=merchant.merchant_id, **{**defaults, **f})


_BUILDERS: dict[str, Callable[[dict[str, Any], Merchant, Clock, str], Any]] = {
    "invoices": _invoice, "open_invoices": _open_invoice, "bulk_rows": _bulk_row,
}


def _parse(doc: dict[str, Any], reg: MerchantRegistry, clock: Clock) -> dict[str, list[Any]]:
    default = doc.get("merchant_code")
    parsed: dict[str, list[Any]] = {}
    for section, build in _BUILDERS.items():
        records = doc.get(section, [])
        if not isinstance(records, list):
            raise SeedError(f"{section} must be a list")
        out = []
        for i, rec in enumerate(records):
            where = f"{section}[{i}]"
            if not isinstance(rec, dict):
                raise SeedError(f"{where}: each record must be a JSON object")
            try:
                out.append(build(rec, _merchant(reg, rec, default, where), clock, where))
            except TypeError as exc:  # a field of the wrong shape (e.g. customer keys)
                raise SeedError(f"{where}: {exc}") from None
        parsed[section] = out
    return parsed


def load_seed(doc: Any, store: Store, merchants: MerchantRegistry, clock: Clock) -> dict[str, list[int]]:
    """Check the whole document, then store it; returns the ids stored, per section."""
    if not isinstance(doc, dict):
        raise SeedError("a seed document must be a JSON object")
    unknown = sorted(set(doc) - {"merchant_code", *_BUILDERS})
    if unknown:
        raise SeedError(f"unknown top-level key(s): {', '.join(unknown)}")
    parsed = _parse(doc, merchants, clock)
    explicit = {k: [r for r in v if r.id] for k, v in parsed.items()}
    try:
        if any(explicit.values()):
            store.insert_with_ids(explicit["invoices"], explicit["open_invoices"], explicit["bulk_rows"])
        fresh = {k: [r for r in v if not r.id] for k, v in parsed.items()}
        stored: dict[str, Sequence[Invoice | OpenInvoice | BulkRow]] = {
            "invoices": store.insert_invoices(fresh["invoices"]) if fresh["invoices"] else [],
            "open_invoices": [store.insert_open_invoice(o) for o in fresh["open_invoices"]],
            "bulk_rows": store.insert_bulk_rows(fresh["bulk_rows"]) if fresh["bulk_rows"] else [],
        }
    except KeyConflict:  # the same words whichever store refused (their details name constraints)
        raise SeedError("conflict with stored records: an id, token or access key of the seed is in use "
                        "already (seeded before? POST /_mock/reset first; a shared database is seeded "
                        "from one host, once: start the others, and restarts, without --seed)") from None
    except NotImplementedError as exc:
        raise SeedError(str(exc)) from None
    return {k: sorted([r.id for r in explicit[k]] + [r.id for r in stored[k]]) for k in _BUILDERS}
