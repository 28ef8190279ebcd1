"""The Hesabe invoice API as executable data: encryption, wire format, operations, schemas."""

from __future__ import annotations

from hesabe_spec._request import PreparedRequest, Result, build_request
from hesabe_spec._transport import ASGITransport
from hesabe_spec.client import HesabeClient
from hesabe_spec.config import ClientConfig
from hesabe_spec.crypto import CipherKeys, decrypt, encrypt
from hesabe_spec.errors import HesabeError
from hesabe_spec.operations import OPERATIONS, Operation, get_operation
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.validation import Violation, validate_request, validate_response
from hesabe_spec.wire import client_json, server_json

__all__ = [
    "OPERATIONS",
    "SANDBOX",
    "ASGITransport",
    "CipherKeys",
    "ClientConfig",
    "HesabeClient",
    "HesabeError",
    "Operation",
    "PreparedRequest",
    "Result",
    "Violation",
    "build_request",
    "client_json",
    "decrypt",
    "encrypt",
    "get_operation",
    "server_json",
    "validate_request",
    "validate_response",
]
