"""The payment page's words in English and Arabic. Payment-method names stay as Hesabe shows them.

Amounts keep Western digits in both languages, as Kuwaiti payment pages commonly do; only the
currency label changes ("KWD" / "د.ك").
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "Labels", "labels_for", "pick_language"]

LANGUAGES = ("en", "ar")

Labels = dict[str, str]

_EN: Labels = {
    "page_title": "Pay invoice",
    "invoice": "Invoice",
    "open_invoice": "Payment link",
    "split_invoice": "Invoice in parts",
    "merchant": "Merchant",
    "amount": "Amount",
    "currency": "KWD",
    "reference": "Reference number",
    "description": "Description",
    "customer": "Customer",
    "expires": "Valid until",
    "items": "Items",
    "item": "Item",
    "quantity": "Qty",
    "unit_price": "Unit price",
    "line_total": "Total",
    "status": "Status",
    "status_unpaid": "Unpaid",
    "status_paid": "Paid",
    "status_cancelled": "Cancelled",
    "status_expired": "Expired",
    "status_active": "Active",
    "choose_method": "Choose a payment method",
    "enter_amount": "Amount to pay (KWD)",
    "amount_range": "Between {min} and {max} KWD",
    "pay": "Pay",
    "decline": "Decline",
    "simulate_failure": "Simulate a failed payment",
    "paid_note": "This invoice has been paid.",
    "cancelled_note": "This invoice has been cancelled and can no longer be paid.",
    "expired_note": "This invoice has expired and can no longer be paid.",
    "paid_on": "Paid on",
    "payment_method": "Payment method",
    "payments_received": "Payments received",
    "result_success": "Payment successful. Thank you!",
    "result_failure": "The payment failed. No money was taken; you can try again.",
    "result_cancelled": "You declined the payment. No money was taken.",
    "part": "Part {n}",
    "parts": "Payment parts",
    "not_found_title": "Payment link not found",
    "not_found_text": "This payment link does not exist. Check the link you were sent.",
    "bad_request_title": "The payment request was not valid",
    "conflict_title": "This payment cannot be made",
    "back": "Back to the invoice",
    "back_to_payment": "Back to the payment",
    "mock_notice": "Hesabe mock payment page: no real money moves.",
    # the payment gateway's page (/payment, /pay/webview)
    "checkout_title": "Secure payment",
    "order_reference": "Order reference",
    "pay_with": "Pay with {method}",
    "card_number": "Card number",
    "expiry": "Expiry (MM/YY)",
    "cvv": "CVV",
    "pin": "PIN",
    "test_card_hint": "Hesabe sandbox test card ({scheme}, expiry {expiry}); "
                      "another expiry or code declines.",
    "test_card_hint_any_expiry": "Hesabe sandbox test card ({scheme}, any expiry); another code declines.",
    "wallet_hint": "No wallet is contacted: the mock stands in for it.",
    "save_card_note": "Your card will be saved with the merchant for later payments.",
    "verify_note": "Nothing is charged: the card is verified and saved with the merchant.",
    "verify_with": "Verify and save with {method}",
    "cancel_payment": "Cancel and return to the merchant",
    "session_done_title": "This payment is complete",
    "session_expired_title": "This payment session has expired",
    "session_done_text": "Nothing more to do here; return to the merchant.",
    "session_not_found_title": "Payment session not found",
    "session_not_found_text": "This payment link is not valid. "
                              "Start the payment again on the merchant's site.",
    "back_to_merchant": "Return to the merchant",
    "other_language": "العربية",
}

_AR: Labels = {
    "page_title": "دفع الفاتورة",
    "invoice": "فاتورة",
    "open_invoice": "رابط الدفع",
    "split_invoice": "فاتورة مقسمة",
    "merchant": "التاجر",
    "amount": "المبلغ",
    "currency": "د.ك",
    "reference": "الرقم المرجعي",
    "description": "الوصف",
    "customer": "العميل",
    "expires": "صالحة حتى",
    "items": "المنتجات",
    "item": "المنتج",
    "quantity": "الكمية",
    "unit_price": "سعر الوحدة",
    "line_total": "المجموع",
    "status": "الحالة",
    "status_unpaid": "غير مدفوعة",
    "status_paid": "مدفوعة",
    "status_cancelled": "ملغاة",
    "status_expired": "منتهية الصلاحية",
    "status_active": "فعّال",
    "choose_method": "اختر طريقة الدفع",
    "enter_amount": "المبلغ المراد دفعه (د.ك)",
    "amount_range": "بين {min} و {max} د.ك",
    "pay": "ادفع",
    "decline": "رفض",
    "simulate_failure": "محاكاة دفع فاشل",
    "paid_note": "تم دفع هذه الفاتورة.",
    "cancelled_note": "تم إلغاء هذه الفاتورة ولا يمكن دفعها.",
    "expired_note": "انتهت صلاحية هذه الفاتورة ولا يمكن دفعها.",
    "paid_on": "تاريخ الدفع",
    "payment_method": "طريقة الدفع",
    "payments_received": "الدفعات المستلمة",
    "result_success": "تم الدفع بنجاح. شكراً لك!",
    "result_failure": "فشلت عملية الدفع. لم يتم خصم أي مبلغ، يمكنك المحاولة مرة أخرى.",
    "result_cancelled": "لقد رفضت الدفع. لم يتم خصم أي مبلغ.",
    "part": "الجزء {n}",
    "parts": "أجزاء الدفع",
    "not_found_title": "رابط الدفع غير موجود",
    "not_found_text": "رابط الدفع هذا غير موجود. تحقق من الرابط المرسل إليك.",
    "bad_request_title": "طلب الدفع غير صالح",
    "conflict_title": "لا يمكن إتمام هذا الدفع",
    "back": "العودة إلى الفاتورة",
    "back_to_payment": "العودة إلى الدفع",
    "mock_notice": "صفحة دفع تجريبية من محاكي حسابي: لا يتم تحويل أي أموال حقيقية.",
    "checkout_title": "دفع آمن",
    "order_reference": "رقم الطلب",
    "pay_with": "ادفع عبر {method}",
    "card_number": "رقم البطاقة",
    "expiry": "تاريخ الانتهاء (شهر/سنة)",
    "cvv": "رمز التحقق",
    "pin": "الرقم السري",
    "test_card_hint": "بطاقة اختبار من بيئة حسابي التجريبية ({scheme}، تنتهي {expiry})؛ "
                      "أي تاريخ أو رمز آخر يُرفض.",
    "test_card_hint_any_expiry": "بطاقة اختبار من بيئة حسابي التجريبية ({scheme}، بأي تاريخ انتهاء)؛ "
                                 "أي رمز آخر يُرفض.",
    "wallet_hint": "لا يتم الاتصال بأي محفظة: المحاكي يقوم مقامها.",
    "save_card_note": "سيتم حفظ بطاقتك لدى التاجر للدفعات اللاحقة.",
    "verify_note": "لن يتم خصم أي مبلغ: سيتم التحقق من البطاقة وحفظها لدى التاجر.",
    "verify_with": "تحقق واحفظ عبر {method}",
    "cancel_payment": "إلغاء والعودة إلى التاجر",
    "session_done_title": "اكتملت عملية الدفع هذه",
    "session_expired_title": "انتهت صلاحية جلسة الدفع هذه",
    "session_done_text": "لا شيء آخر هنا؛ عد إلى التاجر.",
    "session_not_found_title": "جلسة الدفع غير موجودة",
    "session_not_found_text": "رابط الدفع هذا غير صالح. ابدأ الدفع من جديد على موقع التاجر.",
    "back_to_merchant": "العودة إلى التاجر",
    "other_language": "English",
}

_BY_LANGUAGE = {"en": _EN, "ar": _AR}


def pick_language(override: str | None, record_language: str | None) -> str:
    """``?lang=`` if valid, else the invoice's language, else English (open invoices have none)."""
    for candidate in (override, record_language):
        if candidate in LANGUAGES:
            return str(candidate)
    return "en"


def labels_for(language: str) -> Labels:
    return _BY_LANGUAGE.get(language, _EN)
