"""The Hesabe invoice API as executable data: encryption, wire format, operations, schemas."""

from __future__ import annotations

from hesabe_spec.crypto import CipherKeys, decrypt, encrypt
from hesabe_spec.errors import HesabeError
from hesabe_spec.operations import OPERATIONS, Operation, get_operation
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import client_json, server_json

__all__ = [
    "OPERATIONS",
    "SANDBOX",
    "CipherKeys",
    "HesabeError",
    "Operation",
    "client_json",
    "decrypt",
    "encrypt",
    "get_operation",
    "server_json",
]
