"""What ``GET /api/v1/profile`` answers for each merchant.

The public sandbox merchant gets the profile the reference prints (hesabe-api.md §6: the inner
object, cut inside ``commission`` at a key after ``service_charges`` whose name is cut; its
elided ``company_logo`` is a small real JPEG here). Any other merchant gets a profile derived from
its identity (id, name, merchant code), with the fields its merchants-file entry gives under
``profile`` on top. Both end with the fields Hesabe's merchant app reads besides (countries,
service and payment types, capture settings): the mock's values, low confidence.
"""

from __future__ import annotations

import copy
from typing import Any

from hesabe_spec.enums import KUWAIT_CALLING_CODE, PaymentType, ServiceType
from hesabe_spec.sandbox import SANDBOX
from mock_server.merchants import Merchant

__all__ = ["SANDBOX_PROFILE", "profile_of"]

#: an 8x8 grey baseline JPEG, base64 (the docs show only the start of a JPEG: "/9j/4AAQSkZJRg...")
_LOGO = (
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
    "EBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAAIAAgBAREA/8QAJgABAAAAAAAAAAAAAAAAAAAAABABAAAAAAAAAAAA"
    "AAAAAAAAAP/aAAgBAQAAPwA//9k="
)

#: the sandbox merchant's profile, as the reference prints it
SANDBOX_PROFILE: dict[str, Any] = {
    "id": 56,
    "user_id": 118,
    "employee_id": 0,
    "first_name": "rtdfsdfg",
    "middle_name": "sdf",
    "last_name": "sdf",
    "email": "vs@tt.com",
    "username": SANDBOX.merchant_code,
    "business_name": "rtdfsdfg sdf sdf",
    "business_type_id": 2,
    "country_id": 1,
    "website_url": "gfsd",
    "company_logo": _LOGO,
    "business_address": "gsdfg",
    "civil_id": "521563186563",
    "is_active": 1,
    "is_approved": 1,
    "MCC_Category_List": "4812,5816,5817,5818",
    "bank": {"bank_name": "Kuwait International Bank", "account_holder_name": "test account",
             "account_number": "55235452522", "iban_number": "KW21K84O00000000000000000000000"},
    "commission": {"subscription_charges": 100, "setup_charges": 50, "service_charges": 0},
}

#: the services and payment types every mock merchant has (invoices default to KNET and cards)
_SERVICES = (ServiceType.SMS_INVOICE, ServiceType.PAYMENT_GATEWAY, ServiceType.OPEN_INVOICE)
_PAYMENT_TYPES = (PaymentType.KNET, PaymentType.MPGS)


def _app_fields() -> dict[str, Any]:
    """The fields Hesabe's merchant app reads that the reference does not print (mock values)."""
    return {
        "countries": [{"id": 1, "name": "Kuwait", "code": KUWAIT_CALLING_CODE}],
        "service_type": [{"id": s.value, "name": s.display_name} for s in _SERVICES],
        "payment_type": [{"id": p.value, "name": p.name, "display_name": p.display_name}
                         for p in _PAYMENT_TYPES],
        "is_employee": 0,
        "capture_type": 0,
        "capture_duration": 0,
        "integrations": [],
    }


def _derived(merchant: Merchant) -> dict[str, Any]:
    """A merchant's profile from its identity alone (every required field, neutral values)."""
    name = merchant.name
    return {
        "id": merchant.merchant_id,
        "user_id": merchant.merchant_id,
        "employee_id": 0,
        "first_name": name,
        "middle_name": "",
        "last_name": "",
        "email": f"{merchant.identity.username.lower()}@merchant.invalid",
        "username": merchant.merchant_code,
        "business_name": name,
        "business_type_id": 2,
        "country_id": 1,
        "website_url": "",
        "company_logo": _LOGO,
        "business_address": "",
        "civil_id": "",
        "is_active": 1,
        "is_approved": 1,
        "MCC_Category_List": "",
        "bank": {"bank_name": "", "account_holder_name": name, "account_number": "", "iban_number": ""},
        "commission": {"subscription_charges": 0, "setup_charges": 0, "service_charges": 0},
    }


def profile_of(merchant: Merchant) -> dict[str, Any]:
    """The profile merchant sees: the sandbox's or its own, then its merchants-file fields."""
    base = SANDBOX_PROFILE if merchant.merchant_code == SANDBOX.merchant_code else _derived(merchant)
    return copy.deepcopy({**base, **_app_fields(), **(merchant.profile or {})})
