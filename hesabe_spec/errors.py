"""The one error tree of the Hesabe toolkit.

Every exception raised on purpose by ``hesabe_spec`` (crypto, wire format, the reference
client) derives from :class:`HesabeError`, so ``except HesabeError`` is always enough::

    HesabeError
    ├── ConfigurationError          bad key length, missing credential, bad setting
    ├── PaymentNotConfirmedError    confirm_payment: the enquiry does not show the order paid
    ├── ProtocolError               the bytes on the wire are not what Hesabe sends
    │   ├── CryptoError             ciphertext cannot be decrypted
    │   │   ├── InvalidCiphertextError   not hex, odd length, not whole AES blocks, empty
    │   │   └── InvalidPaddingError      pad 0, pad > 32, inconsistent pad bytes, wrong key
    │   ├── EnvelopeError           decrypted fine but not a JSON object / not an envelope
    │   └── RedirectError           a 3xx: Hesabe never redirects, so it is never followed
    ├── TransportError              the request never got an HTTP answer (DNS, refused, reset)
    │   └── HesabeTimeoutError      ... because it took too long (also a builtin TimeoutError)
    └── APIError                    Hesabe answered and said no (status:false or HTTP >= 400)
        ├── AuthenticationError     401/403, "Invalid Signature.", bad login
        │   ├── InvalidCredentialsError      a refused login (HTTP 404): also a NotFoundError
        │   ├── InvalidMerchantError         gateway code 501 "Invalid Merchant"
        │   └── MerchantLoginError           gateway code 504 "Invalid Merchant Login Credentials"
        ├── ValidationError         per-field errors, or 506 "Invalid Request Data"
        │   ├── RequestValidationError  caught locally by validate_request, nothing sent
        │   ├── InvalidInputError            gateway code 422 "Invalid Input"
        │   └── InvalidRequestDataError      gateway code 506 "Invalid Request Data"
        ├── NotFoundError           404, "Request not found, Please verify the request data"
        ├── RateLimitError          429 (``retry_after`` seconds when the server said so)
        ├── ServerError             5xx, "Internal server error occurred"
        ├── InvalidResponseError             gateway code 0 "Invalid Response"
        ├── InvalidTokenError                gateway code 500 "Invalid Token"
        │   └── InvalidPaymentTokenError     gateway code 505 "Invalid Payment Token"
        ├── MerchantServiceError             gateway code 503 "Invalid Merchant Service"
        └── TransactionError                 gateway code 507 "Transaction Error"

The payment gateway's ``code`` values (:class:`hesabe_spec.enums.GatewayErrorCode`) each have
their class (:data:`GATEWAY_ERRORS`); code 500 there means "Invalid Token", not a server failure,
so it is never a :class:`ServerError` (and never retried).

"The contract broke" is not an error of the tool: schema findings are
:class:`hesabe_spec.validation.Violation` values, and the contract suite wraps them in its own
``ContractViolation``.

API errors carry the raw HTTP facts (``status``, ``code``, ``message``, ``envelope``, ``body``)
and the ``operation`` name, so a caller never has to re-parse anything; protocol and transport
errors carry the same names (``None`` where there was no answer). No error message ever includes a secret key,
IV or password.
"""

from __future__ import annotations

from typing import Any, Literal

from hesabe_spec.enums import GatewayErrorCode

__all__ = [
    "GATEWAY_ERRORS",
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "CryptoError",
    "EnvelopeError",
    "HesabeError",
    "HesabeTimeoutError",
    "InvalidCiphertextError",
    "InvalidCredentialsError",
    "InvalidInputError",
    "InvalidMerchantError",
    "InvalidPaddingError",
    "InvalidPaymentTokenError",
    "InvalidRequestDataError",
    "InvalidResponseError",
    "InvalidTokenError",
    "MerchantLoginError",
    "MerchantServiceError",
    "NotConfirmedReason",
    "NotFoundError",
    "PaymentNotConfirmedError",
    "ProtocolError",
    "RateLimitError",
    "RedirectError",
    "RequestValidationError",
    "ServerError",
    "TransactionError",
    "TransportError",
    "ValidationError",
]


class HesabeError(Exception):
    """Root of every error raised on purpose by the toolkit.

    Every one pickles and copies with its attributes (a task queue or a process pool carries it
    to another process), though their constructors take keyword-only arguments.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuilt, (type(self), self.args), self.__dict__


def _rebuilt(cls: type[HesabeError], args: tuple[Any, ...]) -> HesabeError:
    """A :class:`HesabeError` of ``cls`` with ``args``, its attributes restored by pickle next."""
    error = cls.__new__(cls)
    error.args = args
    return error


class ConfigurationError(HesabeError):
    """A setting or credential is missing or malformed (e.g. a 31-byte secret key)."""


class ProtocolError(HesabeError):
    """Bytes on the wire do not follow Hesabe's format."""

    #: the same fact names as :class:`APIError`, so handlers can read them on any answered call
    code: int | None = None
    envelope: Any = None

    def __init__(
        self,
        message: str,
        *,
        body: bytes | str | None = None,
        status: int | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.body = body
        self.status = status
        self.operation = operation

    def __str__(self) -> str:
        return f"{self.operation}: {self.message}" if self.operation else self.message


class CryptoError(ProtocolError):
    """A ciphertext cannot be decrypted with the given keys."""


class InvalidCiphertextError(CryptoError):
    """The ciphertext is not even-length lower/upper-case hex of whole 16-byte AES blocks."""


class InvalidPaddingError(CryptoError):
    """Decrypted bytes do not end in a consistent pad of 1..32 bytes (often: the wrong key)."""


class EnvelopeError(ProtocolError):
    """The body decrypted but is not the JSON envelope Hesabe sends."""


class RedirectError(ProtocolError):
    """The server answered 3xx. ``location`` is where it pointed; the client did not go there."""

    def __init__(self, message: str, *, location: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


#: why ``confirm_payment`` did not confirm an order (:class:`PaymentNotConfirmedError`)
NotConfirmedReason = Literal["not_found", "not_paid", "amount", "reference", "not_enquirable"]


class PaymentNotConfirmedError(HesabeError):
    """Hesabe's enquiry does not show the order paid as expected (``reason``): no transaction
    for the order reference (``not_found``), not paid (``not_paid``), another amount
    (``amount``), the enquiry answered for another reference (``reference``), or the reference
    cannot travel in the enquiry's path at all (``not_enquirable``: a ``/``, ``.`` or ``..``;
    confirm such an order by its payment token). ``transaction`` is what the enquiry showed (the
    client's ``Transaction``), None when nothing. Raised by ``confirm_payment``: ship nothing."""

    def __init__(self, message: str, *, reason: NotConfirmedReason, order_reference: str,
                 transaction: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.order_reference = order_reference
        self.transaction = transaction


class TransportError(HesabeError):
    """No HTTP response was received (connection refused, reset, DNS...)."""

    status: int | None = None

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation


class HesabeTimeoutError(TransportError, TimeoutError):
    """The server did not answer within the configured timeout.

    Also the builtin :class:`TimeoutError`, so ``except TimeoutError`` (and ``except OSError``)
    catch it as well as ``except TransportError`` and ``except HesabeError``.
    """


class APIError(HesabeError):
    """Hesabe answered, and the answer is a refusal.

    Attributes:
        status: HTTP status code.
        code: Hesabe's application ``code`` (e.g. 506) when the body carried one.
        message: the server's ``message`` text (an ``{"en":..,"ar":..}`` object is reduced to English).
        envelope: the decrypted (or plain) JSON body, as sent.
        body: the raw response body.
        field_errors: ``{"field": ["message", ...]}`` when the server named fields.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        envelope: Any = None,
        body: bytes | str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        operation: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.envelope = envelope
        self.body = body
        self.field_errors = field_errors or {}
        self.operation = operation
        #: what the server's terse answer usually means, and what to check (the client's words)
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.message]
        if self.operation:
            parts.insert(0, f"{self.operation}:")
        if self.status is not None:
            parts.append(f"(HTTP {self.status}{f', code {self.code}' if self.code is not None else ''})")
        if self.field_errors:
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(self.field_errors.items()))
            parts.append(f"[{fields}]")
        if self.hint:
            parts.append(f"- {self.hint}")
        return " ".join(parts)


class AuthenticationError(APIError):
    """Missing, invalid or expired credentials or bearer token."""


class ValidationError(APIError):
    """The server (or the local pre-check) rejected the payload's fields."""


class RequestValidationError(ValidationError):
    """``validate_request`` found violations; nothing was sent.

    ``violations`` holds the :class:`hesabe_spec.validation.Violation` list.
    """

    def __init__(self, message: str, *, violations: list[Any], operation: str | None = None) -> None:
        field_errors: dict[str, list[str]] = {}
        required = {getattr(v, "field", None) for v in violations if getattr(v, "rule", None) == "required"}
        for v in violations:
            field = getattr(v, "field", None) or getattr(v, "pointer", "") or "/"
            if getattr(v, "rule", None) == "if-then" and field in required:
                continue  # "required when ..." says less than the plain "required" beside it
            field_errors.setdefault(field, []).append(getattr(v, "message", str(v)))
        super().__init__(message, field_errors=field_errors, operation=operation)
        self.violations = violations


class NotFoundError(APIError):
    """The invoice / resource does not exist (for this merchant)."""


class InvalidCredentialsError(AuthenticationError, NotFoundError):
    """The login was refused: Hesabe answers a wrong username or password with HTTP 404 "User details
    not found, Please verify the login credentials", so this is a :class:`NotFoundError` as well."""


class RateLimitError(APIError):
    """HTTP 429. ``retry_after`` is the server's Retry-After in seconds, if given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """HTTP 5xx or Hesabe's "Internal server error occurred"."""


# -- the payment gateway's error codes -------------------------------------------------------------


class InvalidResponseError(APIError):
    """Gateway code 0, "Invalid Response"."""


class InvalidInputError(ValidationError):
    """Gateway code 422, "Invalid Input": a field failed validation (``field_errors`` names it)."""


class InvalidTokenError(APIError):
    """Gateway code 500, "Invalid Token": the payment or session token is unknown or expired."""


class InvalidMerchantError(AuthenticationError):
    """Gateway code 501, "Invalid Merchant": the ``accessCode`` or ``merchantCode`` is not known."""


class MerchantServiceError(APIError):
    """Gateway code 503, "Invalid Merchant Service": the payment type is not enabled for the merchant."""


class MerchantLoginError(AuthenticationError):
    """Gateway code 504, "Invalid Merchant Login Credentials"."""


class InvalidPaymentTokenError(InvalidTokenError):
    """Gateway code 505, "Invalid Payment Token"."""


class InvalidRequestDataError(ValidationError):
    """Gateway code 506, "Invalid Request Data": ``data`` did not decrypt, or an amount has more
    than three decimals."""


class TransactionError(APIError):
    """Gateway code 507, "Transaction Error": the transaction cannot do this (e.g. capture twice)."""


#: gateway ``code`` -> the error class a refusal carrying it raises
GATEWAY_ERRORS: dict[int, type[APIError]] = {
    GatewayErrorCode.INVALID_RESPONSE: InvalidResponseError,
    GatewayErrorCode.INVALID_INPUT: InvalidInputError,
    GatewayErrorCode.INVALID_TOKEN: InvalidTokenError,
    GatewayErrorCode.INVALID_MERCHANT: InvalidMerchantError,
    GatewayErrorCode.INVALID_MERCHANT_SERVICE: MerchantServiceError,
    GatewayErrorCode.INVALID_MERCHANT_LOGIN: MerchantLoginError,
    GatewayErrorCode.INVALID_PAYMENT_TOKEN: InvalidPaymentTokenError,
    GatewayErrorCode.INVALID_REQUEST_DATA: InvalidRequestDataError,
    GatewayErrorCode.TRANSACTION_ERROR: TransactionError,
}
