"""The named operation methods of :class:`hesabe_spec.client.HesabeClient`, one per row of the table.

Each method maps Python-style keywords to wire fields (see :mod:`hesabe_spec.client.fields`), merges
``extra`` (raw wire fields, sent as given) and hands the payload to ``call``. It returns the
decrypted ``response`` payload, or the whole :class:`~hesabe_spec.client.Result` with
``return_result=True``. ``merchantCode`` is added by ``call``; split/installment entries get
theirs here.

Typed for users: the keywords are TypedDicts (:mod:`hesabe_spec.client.params`) and the returns
the TypedDicts generated from the response schemas (:mod:`hesabe_spec.client.responses`); each
method has two overloads, by the literal value of ``return_result``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, Unpack, overload

from hesabe_spec.amounts import format_amount
from hesabe_spec.client.fields import (
    BULK_ROW_FIELDS,
    INVOICE_FIELDS,
    OPEN_INVOICE_FIELDS,
    SUBSCRIPTION_FIELDS,
    FieldTable,
    map_fields,
    map_invoice_item,
    text,
)
from hesabe_spec.client.params import (
    Amount,
    BulkRowFields,
    DateText,
    InvoiceFields,
    InvoiceFilters,
    OpenInvoiceFields,
    OpenInvoiceFilters,
    RefundFilters,
    SubscriptionFields,
    Text,
    TransactionReportFilters,
)
from hesabe_spec.client.responses import (
    CancelRefundResponse,
    CreateInstallmentInvoiceResponse,
    CreateInvoiceResponse,
    CreateOpenInvoiceResponse,
    CreatePosInvoiceResponse,
    CreateRefundResponse,
    CreateSplitInvoiceResponse,
    CreateSubscriptionInvoiceResponse,
    GetInvoiceResponse,
    GetOpenInvoiceResponse,
    GetPosInvoiceResponse,
    GetProfileResponse,
    GetRefundResponse,
    GetTransactionsReportResponse,
    Invoice,
    ListBulkInvoicesResponse,
    ListInvoicesResponse,
    ListOpenInvoiceCustomersResponse,
    ListOpenInvoicesResponse,
    ListPosInvoicesResponse,
    ListPosTerminalsResponse,
    ListRefundsResponse,
    LoginResponse,
    RefreshTokenResponse,
    ResendInvoiceResponse,
    ResendPosInvoiceResponse,
    UpdateBulkInvoiceResponse,
    UpdateOpenInvoiceResponse,
    UploadBulkInvoicesResponse,
)
from hesabe_spec.enums import KUWAIT_CALLING_CODE, BulkListType, InvoiceStatus, RefundMethod
from hesabe_spec.operations import get_operation

if TYPE_CHECKING:
    from hesabe_spec.client.config import ClientConfig
    from hesabe_spec.client.request import Result
    from hesabe_spec.client.tokens import TokenManager

__all__ = ["OperationMethods", "filter_fields"]

FiltersIn = Literal["query", "data"]
#: raw wire fields merged into the payload as given
Extra: TypeAlias = Mapping[str, Any] | None

#: a filter's Python name where it is not the wire name in snake_case (``type`` is a builtin)
_FILTER_NAMES = {"type": "list_type"}
#: ``cancel_invoice``'s default ``statusId``: the invoice's new status
_CANCELLED = str(InvoiceStatus.CANCELLED.value)


def filter_fields(operation: str) -> FieldTable:
    """The list filters of ``operation`` (``Operation.query_filters``): Python name -> wire name.

    ``fromDate`` is taken as ``from_date``, ``openInvoiceType`` as ``open_invoice_type``.
    """
    return {
        _FILTER_NAMES.get(wire) or re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", wire).lower(): (wire, text)
        for wire in get_operation(operation).query_filters
    }


class OperationMethods:
    """Mixin: the per-operation methods. Needs ``call``, ``config`` and ``tokens`` from the client."""

    config: ClientConfig
    tokens: TokenManager
    call: Callable[..., Result]  # HesabeClient.call

    def _invoke(
        self,
        name: str,
        payload: Mapping[str, Any],
        extra: Mapping[str, Any] | None,
        return_result: bool,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Any:
        result = self.call(name, {**payload, **(extra or {})}, path_params=path_params, query=query)
        return result if return_result else result.response

    def _multi(
        self, name: str, invoices: Iterable[Mapping[str, Any]], extra: Extra, return_result: bool
    ) -> Any:
        items = [
            {"merchantCode": self.config.merchant_code, **map_invoice_item(item, name, i)}
            for i, item in enumerate(invoices)
        ]
        return self._invoke(name, {"invoices": items}, extra, return_result)

    def _list(
        self,
        name: str,
        filters: Mapping[str, Any],
        filters_in: FiltersIn,
        extra: Mapping[str, Any] | None,
        return_result: bool,
    ) -> Any:
        wire = map_fields(filter_fields(name), filters, name, wire_ok=False)
        if filters_in == "data":
            # Hesabe's own app puts every filter inside the encrypted data instead.
            return self._invoke(name, wire, extra, return_result)
        return self._invoke(name, {}, extra, return_result, query=wire)

    # -- auth --------------------------------------------------------------------------
    @overload
    def login(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        return_result: Literal[False] = False,
    ) -> LoginResponse: ...
    @overload
    def login(
        self, username: str | None = None, password: str | None = None, *, return_result: Literal[True]
    ) -> Result: ...
    def login(
        self, username: str | None = None, password: str | None = None, *, return_result: bool = False
    ) -> LoginResponse | Result:
        """Log in (plain JSON) and keep the token for later calls. Returns ``{"token": {...}}``."""
        payload = {
            "username": self.config.username if username is None else username,
            "password": self.config.password if password is None else password,
        }
        result = self.call("login", payload)
        self.tokens.adopt(result.envelope)
        return result if return_result else result.response

    @overload
    def refresh_token(
        self, refresh_token: str | None = None, *, return_result: Literal[False] = False
    ) -> RefreshTokenResponse: ...
    @overload
    def refresh_token(self, refresh_token: str | None = None, *, return_result: Literal[True]) -> Result: ...
    def refresh_token(
        self, refresh_token: str | None = None, *, return_result: bool = False
    ) -> RefreshTokenResponse | Result:
        """Exchange a refresh token (default: the current one) for a new pair, and keep it."""
        if refresh_token is None:
            current = self.tokens.token
            if current is None or current.refresh_token is None:
                self.tokens.bearer()  # first use: log in, which yields a refresh token
                current = self.tokens.token
            refresh_token = current.refresh_token if current is not None else None
        result = self.call("refresh_token", {"refreshToken": refresh_token})
        self.tokens.adopt(result.envelope)
        return result if return_result else result.response

    # -- invoices ----------------------------------------------------------------------
    @overload
    def create_invoice(
        self, *, extra: Extra = None, return_result: Literal[False] = False, **fields: Unpack[InvoiceFields]
    ) -> CreateInvoiceResponse: ...
    @overload
    def create_invoice(
        self, *, extra: Extra = None, return_result: Literal[True], **fields: Unpack[InvoiceFields]
    ) -> Result: ...
    def create_invoice(
        self, *, extra: Extra = None, return_result: bool = False, **fields: Unpack[InvoiceFields]
    ) -> CreateInvoiceResponse | Result:
        """Create a single invoice. Fields: amount, customer_name, mobile_number, country_code,
        customer_email, reference_number, description, expires_at, invoice_type, invoice_sub_type,
        allocate_pay_type ([1, 2], [PaymentType.KNET], or "1,2"), language, webhook, items_list,
        subscription."""
        payload = map_fields(INVOICE_FIELDS, fields, "create_invoice", wire_ok=False)
        return self._invoke("create_invoice", payload, extra, return_result)

    @overload
    def create_subscription_invoice(
        self,
        *,
        extra: Extra = None,
        return_result: Literal[False] = False,
        **fields: Unpack[SubscriptionFields],
    ) -> CreateSubscriptionInvoiceResponse: ...
    @overload
    def create_subscription_invoice(
        self, *, extra: Extra = None, return_result: Literal[True], **fields: Unpack[SubscriptionFields]
    ) -> Result: ...
    def create_subscription_invoice(
        self, *, extra: Extra = None, return_result: bool = False, **fields: Unpack[SubscriptionFields]
    ) -> CreateSubscriptionInvoiceResponse | Result:
        """Create a subscription invoice: the create_invoice fields plus frequency,
        no_of_recurrence, subscription_type and start_date (``subscription`` defaults to "1")."""
        values = {"subscription": "1", **fields}
        payload = map_fields(SUBSCRIPTION_FIELDS, values, "create_subscription_invoice", wire_ok=False)
        return self._invoke("create_subscription_invoice", payload, extra, return_result)

    @overload
    def create_split_invoice(
        self,
        invoices: Iterable[Mapping[str, Any]],
        *,
        extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> CreateSplitInvoiceResponse: ...
    @overload
    def create_split_invoice(
        self, invoices: Iterable[Mapping[str, Any]], *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def create_split_invoice(
        self, invoices: Iterable[Mapping[str, Any]], *, extra: Extra = None, return_result: bool = False
    ) -> CreateSplitInvoiceResponse | Result:
        """Create a split invoice from several invoice dicts (Python or wire keys)."""
        return self._multi("create_split_invoice", invoices, extra, return_result)

    @overload
    def create_installment_invoice(
        self,
        invoices: Iterable[Mapping[str, Any]],
        *,
        extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> CreateInstallmentInvoiceResponse: ...
    @overload
    def create_installment_invoice(
        self, invoices: Iterable[Mapping[str, Any]], *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def create_installment_invoice(
        self, invoices: Iterable[Mapping[str, Any]], *, extra: Extra = None, return_result: bool = False
    ) -> CreateInstallmentInvoiceResponse | Result:
        """Create a HeStallMent (EMI) invoice: one invoice dict per installment."""
        return self._multi("create_installment_invoice", invoices, extra, return_result)

    @overload
    def list_invoices(
        self,
        *,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: Literal[False] = False,
        **filters: Unpack[InvoiceFilters],
    ) -> ListInvoicesResponse: ...
    @overload
    def list_invoices(
        self,
        *,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: Literal[True],
        **filters: Unpack[InvoiceFilters],
    ) -> Result: ...
    def list_invoices(
        self,
        *,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: bool = False,
        **filters: Unpack[InvoiceFilters],
    ) -> ListInvoicesResponse | Result:
        """The dashboard: stats, order_stats and a page of invoices. Filters: from_date, to_date,
        page, search, invoice_type (InvoiceKind / "1", "0", "6", "7"), status."""
        return self._list("list_invoices", filters, filters_in, extra, return_result)

    def iter_invoices(self, **filters: Unpack[InvoiceFilters]) -> Iterator[Invoice]:
        """Every invoice the dashboard lists for ``filters``, newest first, page after page (from
        ``page``, default 1), one call per page as it is needed. The list moves while it is read (a
        new invoice pushes the others one place down): each invoice comes once (by id), and one
        created after the first page was read may be missed."""
        seen: set[int] = set()
        wanted = filters.copy()
        page = int(str(wanted.get("page") or 1))
        while True:
            wanted["page"] = page
            block = self.list_invoices(**wanted)["invoices"]
            for row in block["data"]:
                if row["id"] not in seen:
                    seen.add(row["id"])
                    yield row
            if not block["data"] or page >= int(block["pagination"]["total_pages"]):
                return
            page += 1

    @overload
    def get_invoice(
        self, invoice_id: int | str, *, extra: Extra = None, return_result: Literal[False] = False
    ) -> GetInvoiceResponse: ...
    @overload
    def get_invoice(
        self, invoice_id: int | str, *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def get_invoice(
        self, invoice_id: int | str, *, extra: Extra = None, return_result: bool = False
    ) -> GetInvoiceResponse | Result:
        """One invoice by its numeric ``id``."""
        return self._invoke("get_invoice", {}, extra, return_result, path_params={"id": invoice_id})

    @overload
    def resend_invoice(
        self,
        invoice_id: int | str,
        *,
        mobile_number: Text,
        country_code: Text = KUWAIT_CALLING_CODE,
        extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> ResendInvoiceResponse: ...
    @overload
    def resend_invoice(
        self,
        invoice_id: int | str,
        *,
        mobile_number: Text,
        country_code: Text = KUWAIT_CALLING_CODE,
        extra: Extra = None,
        return_result: Literal[True],
    ) -> Result: ...
    def resend_invoice(
        self,
        invoice_id: int | str,
        *,
        mobile_number: Text,
        country_code: Text = KUWAIT_CALLING_CODE,
        extra: Extra = None,
        return_result: bool = False,
    ) -> ResendInvoiceResponse | Result:
        """Resend invoice ``invoice_id`` by SMS to ``mobile_number``."""
        payload = {
            "mobileNumber": text(mobile_number),
            "resendId": str(invoice_id),
            "countryCode": text(country_code),
        }
        return self._invoke("resend_invoice", payload, extra, return_result)

    @overload
    def send_bulk_invoices(
        self, ids: Iterable[int | str], *, extra: Extra = None, return_result: Literal[False] = False
    ) -> None: ...
    @overload
    def send_bulk_invoices(
        self, ids: Iterable[int | str], *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def send_bulk_invoices(
        self, ids: Iterable[int | str], *, extra: Extra = None, return_result: bool = False
    ) -> Result | None:
        """Send several invoices by SMS (ids are sent as strings, like Hesabe's sample)."""
        return self._invoke("send_bulk_invoices", {"ids": [str(i) for i in ids]}, extra, return_result)

    @overload
    def cancel_invoice(
        self, token: str, *, status_id: Text = _CANCELLED, extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> None: ...
    @overload
    def cancel_invoice(
        self, token: str, *, status_id: Text = _CANCELLED, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def cancel_invoice(
        self, token: str, *, status_id: Text = _CANCELLED, extra: Extra = None, return_result: bool = False
    ) -> Result | None:
        """Cancel an invoice by its ``token`` (not its id)."""
        payload = {"statusId": text(status_id)}
        return self._invoke("cancel_invoice", payload, extra, return_result, path_params={"token": token})

    # -- open invoices -----------------------------------------------------------------
    @overload
    def create_open_invoice(
        self,
        *,
        extra: Extra = None,
        return_result: Literal[False] = False,
        **fields: Unpack[OpenInvoiceFields],
    ) -> CreateOpenInvoiceResponse: ...
    @overload
    def create_open_invoice(
        self, *, extra: Extra = None, return_result: Literal[True], **fields: Unpack[OpenInvoiceFields]
    ) -> Result: ...
    def create_open_invoice(
        self, *, extra: Extra = None, return_result: bool = False, **fields: Unpack[OpenInvoiceFields]
    ) -> CreateOpenInvoiceResponse | Result:
        """Create an open invoice. Fields: title, amount_type (AmountType), fix_amount,
        min_amount, max_amount, expiry_date, description."""
        payload = map_fields(OPEN_INVOICE_FIELDS, fields, "create_open_invoice", wire_ok=False)
        return self._invoke("create_open_invoice", payload, extra, return_result)

    @overload
    def list_open_invoices(
        self,
        *,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: Literal[False] = False,
        **filters: Unpack[OpenInvoiceFilters],
    ) -> ListOpenInvoicesResponse: ...
    @overload
    def list_open_invoices(
        self,
        *,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: Literal[True],
        **filters: Unpack[OpenInvoiceFilters],
    ) -> Result: ...
    def list_open_invoices(
        self,
        *,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: bool = False,
        **filters: Unpack[OpenInvoiceFilters],
    ) -> ListOpenInvoicesResponse | Result:
        """List open invoices. Filters: from_date, to_date, page, search, paid_status, status,
        open_invoice_type."""
        return self._list("list_open_invoices", filters, filters_in, extra, return_result)

    @overload
    def get_open_invoice(
        self, open_invoice_id: int | str, *, extra: Extra = None, return_result: Literal[False] = False
    ) -> GetOpenInvoiceResponse: ...
    @overload
    def get_open_invoice(
        self, open_invoice_id: int | str, *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def get_open_invoice(
        self, open_invoice_id: int | str, *, extra: Extra = None, return_result: bool = False
    ) -> GetOpenInvoiceResponse | Result:
        """One open invoice by id."""
        return self._invoke("get_open_invoice", {}, extra, return_result, path_params={"id": open_invoice_id})

    @overload
    def update_open_invoice(
        self,
        open_invoice_id: int | str,
        *,
        expiry_date: DateText,
        extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> UpdateOpenInvoiceResponse: ...
    @overload
    def update_open_invoice(
        self,
        open_invoice_id: int | str,
        *,
        expiry_date: DateText,
        extra: Extra = None,
        return_result: Literal[True],
    ) -> Result: ...
    def update_open_invoice(
        self,
        open_invoice_id: int | str,
        *,
        expiry_date: DateText,
        extra: Extra = None,
        return_result: bool = False,
    ) -> UpdateOpenInvoiceResponse | Result:
        """Change an open invoice's expiry date (``date`` or "YYYY-MM-DD")."""
        return self._invoke(
            "update_open_invoice",
            {"expiryDate": text(expiry_date)},
            extra,
            return_result,
            path_params={"id": open_invoice_id},
        )

    @overload
    def cancel_open_invoice(
        self, open_invoice_id: int | str, *, extra: Extra = None, return_result: Literal[False] = False
    ) -> None: ...
    @overload
    def cancel_open_invoice(
        self, open_invoice_id: int | str, *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def cancel_open_invoice(
        self, open_invoice_id: int | str, *, extra: Extra = None, return_result: bool = False
    ) -> Result | None:
        """Cancel an open invoice (DELETE with an encrypted body)."""
        path = {"id": open_invoice_id}
        return self._invoke("cancel_open_invoice", {}, extra, return_result, path_params=path)

    # -- bulk upload -------------------------------------------------------------------
    @overload
    def upload_bulk_invoices(
        self,
        content: bytes | str,
        *,
        file_type: str = "csv",
        is_scheduled: bool = False,
        extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> UploadBulkInvoicesResponse: ...
    @overload
    def upload_bulk_invoices(
        self,
        content: bytes | str,
        *,
        file_type: str = "csv",
        is_scheduled: bool = False,
        extra: Extra = None,
        return_result: Literal[True],
    ) -> Result: ...
    def upload_bulk_invoices(
        self,
        content: bytes | str,
        *,
        file_type: str = "csv",
        is_scheduled: bool = False,
        extra: Extra = None,
        return_result: bool = False,
    ) -> UploadBulkInvoicesResponse | Result:
        """Upload a file of bulk rows. ``content`` is the file (bytes, or CSV text); it is
        base64-encoded here. CSV header: name,phone,email,amount,reference_number,description."""
        raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        payload = {
            "isScheduled": text(is_scheduled),
            "fileType": file_type,
            "invoices": base64.b64encode(raw).decode("ascii"),
        }
        return self._invoke("upload_bulk_invoices", payload, extra, return_result)

    @overload
    def list_bulk_invoices(
        self,
        *,
        list_type: BulkListType | str | None = None,
        page: int | None = None,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> ListBulkInvoicesResponse: ...
    @overload
    def list_bulk_invoices(
        self,
        *,
        list_type: BulkListType | str | None = None,
        page: int | None = None,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: Literal[True],
    ) -> Result: ...
    def list_bulk_invoices(
        self,
        *,
        list_type: BulkListType | str | None = None,
        page: int | None = None,
        filters_in: FiltersIn = "query",
        extra: Extra = None,
        return_result: bool = False,
    ) -> ListBulkInvoicesResponse | Result:
        """List uploaded bulk rows, one ``page`` at a time; ``list_type`` "0" bulk / "1" scheduled
        (wire name ``type``)."""
        return self._list(
            "list_bulk_invoices", {"list_type": list_type, "page": page}, filters_in, extra, return_result
        )

    @overload
    def update_bulk_invoice(
        self,
        bulk_id: int | str,
        *,
        extra: Extra = None,
        return_result: Literal[False] = False,
        **fields: Unpack[BulkRowFields],
    ) -> UpdateBulkInvoiceResponse: ...
    @overload
    def update_bulk_invoice(
        self,
        bulk_id: int | str,
        *,
        extra: Extra = None,
        return_result: Literal[True],
        **fields: Unpack[BulkRowFields],
    ) -> Result: ...
    def update_bulk_invoice(
        self,
        bulk_id: int | str,
        *,
        extra: Extra = None,
        return_result: bool = False,
        **fields: Unpack[BulkRowFields],
    ) -> UpdateBulkInvoiceResponse | Result:
        """Edit one bulk row. Fields (snake_case on the wire too): amount, name, email, phone,
        reference_number."""
        payload = map_fields(BULK_ROW_FIELDS, fields, "update_bulk_invoice", wire_ok=False)
        return self._invoke("update_bulk_invoice", payload, extra, return_result, path_params={"id": bulk_id})

    @overload
    def delete_bulk_invoice(
        self, bulk_id: int | str, *, extra: Extra = None, return_result: Literal[False] = False
    ) -> None: ...
    @overload
    def delete_bulk_invoice(
        self, bulk_id: int | str, *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def delete_bulk_invoice(
        self, bulk_id: int | str, *, extra: Extra = None, return_result: bool = False
    ) -> Result | None:
        """Delete one bulk row (DELETE with an encrypted body)."""
        return self._invoke("delete_bulk_invoice", {}, extra, return_result, path_params={"id": bulk_id})

    # -- refunds -----------------------------------------------------------------------
    @overload
    def create_refund(
        self, token: str, amount: Amount | None = None, *, refund_method: Text | None = None,
        extra: Extra = None, return_result: Literal[False] = False,
    ) -> CreateRefundResponse: ...
    @overload
    def create_refund(
        self, token: str, amount: Amount | None = None, *, refund_method: Text | None = None,
        extra: Extra = None, return_result: Literal[True],
    ) -> Result: ...
    def create_refund(
        self, token: str, amount: Amount | None = None, *, refund_method: Text | None = None,
        extra: Extra = None, return_result: bool = False,
    ) -> CreateRefundResponse | Result:
        """Ask for a refund of the paid transaction ``token`` (invoice details'
        ``transaction["token"]``). Without ``amount``: a full refund of what is left ("1", no
        refundAmount, as Hesabe's app sends it); with ``amount``: a partial refund ("2") of that
        much (formatted to 3 decimals). ``refund_method`` (``RefundMethod``) overrides either."""
        method = refund_method if refund_method is not None else (
            RefundMethod.FULL if amount is None else RefundMethod.PARTIAL)
        payload: dict[str, Any] = {"token": text(token), "refundMethod": text(method)}
        if amount is not None:
            payload["refundAmount"] = format_amount(amount, field="refundAmount", operation="create_refund")
        return self._invoke("create_refund", payload, extra, return_result)

    @overload
    def list_refunds(
        self, *, filters_in: FiltersIn = "query", extra: Extra = None, return_result: Literal[False] = False,
        **filters: Unpack[RefundFilters],
    ) -> ListRefundsResponse: ...
    @overload
    def list_refunds(
        self, *, filters_in: FiltersIn = "query", extra: Extra = None, return_result: Literal[True],
        **filters: Unpack[RefundFilters],
    ) -> Result: ...
    def list_refunds(
        self, *, filters_in: FiltersIn = "query", extra: Extra = None, return_result: bool = False,
        **filters: Unpack[RefundFilters],
    ) -> ListRefundsResponse | Result:
        """Refund stats and one page of refund requests. Filters: from_date, to_date, page, search."""
        return self._list("list_refunds", filters, filters_in, extra, return_result)

    @overload
    def get_refund(
        self, refund_id: int | str, *, extra: Extra = None, return_result: Literal[False] = False
    ) -> GetRefundResponse: ...
    @overload
    def get_refund(
        self, refund_id: int | str, *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def get_refund(
        self, refund_id: int | str, *, extra: Extra = None, return_result: bool = False
    ) -> GetRefundResponse | Result:
        """One refund request by id."""
        return self._invoke("get_refund", {}, extra, return_result, path_params={"id": refund_id})

    @overload
    def cancel_refund(
        self, refund_id: int | str, *, extra: Extra = None, return_result: Literal[False] = False
    ) -> CancelRefundResponse: ...
    @overload
    def cancel_refund(
        self, refund_id: int | str, *, extra: Extra = None, return_result: Literal[True]
    ) -> Result: ...
    def cancel_refund(
        self, refund_id: int | str, *, extra: Extra = None, return_result: bool = False
    ) -> CancelRefundResponse | Result:
        """Cancel a pending refund request (DELETE with an encrypted body); answers ``True``."""
        return self._invoke("cancel_refund", {}, extra, return_result, path_params={"id": refund_id})

    # -- profile -----------------------------------------------------------------------
    @overload
    def get_profile(
        self, *, extra: Extra = None, return_result: Literal[False] = False
    ) -> GetProfileResponse: ...
    @overload
    def get_profile(self, *, extra: Extra = None, return_result: Literal[True]) -> Result: ...
    def get_profile(self, *, extra: Extra = None, return_result: bool = False) -> GetProfileResponse | Result:
        """The merchant's profile (business, bank and commission details)."""
        return self._invoke("get_profile", {}, extra, return_result)

    # -- reports -----------------------------------------------------------------------
    @overload
    def get_transactions_report(
        self, *, filters_in: FiltersIn = "query", extra: Extra = None, return_result: Literal[False] = False,
        **filters: Unpack[TransactionReportFilters],
    ) -> GetTransactionsReportResponse: ...
    @overload
    def get_transactions_report(
        self, *, filters_in: FiltersIn = "query", extra: Extra = None, return_result: Literal[True],
        **filters: Unpack[TransactionReportFilters],
    ) -> Result: ...
    def get_transactions_report(
        self, *, filters_in: FiltersIn = "query", extra: Extra = None, return_result: bool = False,
        **filters: Unpack[TransactionReportFilters],
    ) -> GetTransactionsReportResponse | Result:
        """Every payment, whatever took it (invoice, open invoice, checkout, saved card), newest
        first: stats and one page. Filters: from_date, to_date, page, nostats (True: no stats),
        search."""
        if isinstance(filters.get("nostats"), bool):
            filters["nostats"] = "1" if filters["nostats"] else "0"
        return self._list("get_transactions_report", filters, filters_in, extra, return_result)

    @overload
    def list_open_invoice_customers(
        self, open_invoice_id: int | str, *, page: Text | None = None, extra: Extra = None,
        return_result: Literal[False] = False,
    ) -> ListOpenInvoiceCustomersResponse: ...
    @overload
    def list_open_invoice_customers(
        self, open_invoice_id: int | str, *, page: Text | None = None, extra: Extra = None,
        return_result: Literal[True],
    ) -> Result: ...
    def list_open_invoice_customers(
        self, open_invoice_id: int | str, *, page: Text | None = None, extra: Extra = None,
        return_result: bool = False,
    ) -> ListOpenInvoiceCustomersResponse | Result:
        """Who paid an open invoice: one page of its customers' payments, newest first."""
        query = None if page is None else {"page": text(page)}
        return self._invoke("list_open_invoice_customers", {}, extra, return_result,
                            path_params={"id": open_invoice_id}, query=query)

    # -- Smart POS ---------------------------------------------------------------------
    @overload
    def create_pos_invoice(
        self, amount: Amount, terminal_id: Text, *, reference_number: Text | None = None,
        customer_name: str | None = None, mobile_number: Text | None = None, description: str | None = None,
        extra: Extra = None, return_result: Literal[False] = False,
    ) -> CreatePosInvoiceResponse: ...
    @overload
    def create_pos_invoice(
        self, amount: Amount, terminal_id: Text, *, reference_number: Text | None = None,
        customer_name: str | None = None, mobile_number: Text | None = None, description: str | None = None,
        extra: Extra = None, return_result: Literal[True],
    ) -> Result: ...
    def create_pos_invoice(
        self, amount: Amount, terminal_id: Text, *, reference_number: Text | None = None,
        customer_name: str | None = None, mobile_number: Text | None = None, description: str | None = None,
        extra: Extra = None, return_result: bool = False,
    ) -> CreatePosInvoiceResponse | Result:
        """Send ``amount`` to one of the merchant's terminals (``list_pos_terminals``): a POS
        invoice the customer pays there (its ``token`` is a transaction token)."""
        money = format_amount(amount, field="amount", operation="create_pos_invoice")
        payload: dict[str, Any] = {"amount": money, "terminal_id": text(terminal_id)}
        for name, value in (("reference_number", reference_number), ("customer_name", customer_name),
                            ("mobile_number", mobile_number), ("description", description)):
            if value is not None:
                payload[name] = text(value)
        return self._invoke("create_pos_invoice", payload, extra, return_result)

    @overload
    def resend_pos_invoice(self, invoice_id: int | str, *, extra: Extra = None,
                           return_result: Literal[False] = False) -> ResendPosInvoiceResponse: ...
    @overload
    def resend_pos_invoice(self, invoice_id: int | str, *, extra: Extra = None,
                           return_result: Literal[True]) -> Result: ...
    def resend_pos_invoice(self, invoice_id: int | str, *, extra: Extra = None,
                           return_result: bool = False) -> ResendPosInvoiceResponse | Result:
        """Send a pending POS invoice to its terminal again (the create path with resend 1)."""
        return self._invoke("resend_pos_invoice", {"resend": "1", "invoice_id": text(invoice_id)}, extra,
                            return_result)

    @overload
    def list_pos_invoices(self, *, page: Text | None = None, extra: Extra = None,
                          return_result: Literal[False] = False) -> ListPosInvoicesResponse: ...
    @overload
    def list_pos_invoices(self, *, page: Text | None = None, extra: Extra = None,
                          return_result: Literal[True]) -> Result: ...
    def list_pos_invoices(self, *, page: Text | None = None, extra: Extra = None,
                          return_result: bool = False) -> ListPosInvoicesResponse | Result:
        """One page of the merchant's POS invoices, newest first."""
        query = None if page is None else {"page": text(page)}
        return self._invoke("list_pos_invoices", {}, extra, return_result, query=query)

    @overload
    def get_pos_invoice(self, invoice_id: int | str, *, extra: Extra = None,
                        return_result: Literal[False] = False) -> GetPosInvoiceResponse: ...
    @overload
    def get_pos_invoice(self, invoice_id: int | str, *, extra: Extra = None,
                        return_result: Literal[True]) -> Result: ...
    def get_pos_invoice(self, invoice_id: int | str, *, extra: Extra = None,
                        return_result: bool = False) -> GetPosInvoiceResponse | Result:
        """One POS invoice by id."""
        return self._invoke("get_pos_invoice", {}, extra, return_result, path_params={"id": invoice_id})

    @overload
    def list_pos_terminals(self, *, extra: Extra = None,
                           return_result: Literal[False] = False) -> ListPosTerminalsResponse: ...
    @overload
    def list_pos_terminals(self, *, extra: Extra = None, return_result: Literal[True]) -> Result: ...
    def list_pos_terminals(self, *, extra: Extra = None,
                           return_result: bool = False) -> ListPosTerminalsResponse | Result:
        """The merchant's Smart POS terminals."""
        return self._invoke("list_pos_terminals", {}, extra, return_result)
