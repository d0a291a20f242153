"""Display names for the order vocabularies of db/enums.py (the database keeps the
English code, the screen shows the glossary's word), shared by the sales and logistics
windows (translation context "SalesLabels", where they began). Functions, not constants:
the language can change while the program runs."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from db.enums import (
    ContactChannel,
    CustomerClass,
    CustomerSource,
    DeliveryMethod,
    DemandType,
    Difficulty,
    FeedbackState,
    LineKind,
    OrderStatus,
    Payment,
    ReceiptState,
)


def delivery_names() -> dict[str, str]:
    return {DeliveryMethod.EMS: QCoreApplication.translate("SalesLabels", "A EMS (Xianguo)"),
            DeliveryMethod.LOCAL: QCoreApplication.translate("SalesLabels", "B Local delivery"),
            DeliveryMethod.POST: QCoreApplication.translate("SalesLabels", "C Post"),
            DeliveryMethod.OTHER: QCoreApplication.translate("SalesLabels", "D Other")}


def payment_names() -> dict[str, str]:
    return {Payment.COD: QCoreApplication.translate("SalesLabels", "Cash on delivery"),
            Payment.PREPAID: QCoreApplication.translate("SalesLabels", "Prepaid")}


def line_kind_names() -> dict[str, str]:
    return {LineKind.DIRECT: QCoreApplication.translate("SalesLabels", "Direct sale"),
            LineKind.BUNDLED: QCoreApplication.translate("SalesLabels", "Bundled"),
            LineKind.GIFT: QCoreApplication.translate("SalesLabels", "Gift")}


def status_names() -> dict[str, str]:
    return {OrderStatus.NOT_SENT: QCoreApplication.translate("SalesLabels", "Not sent"),
            OrderStatus.IN_TRANSIT: QCoreApplication.translate("SalesLabels", "In transit"),
            OrderStatus.ACCEPTED: QCoreApplication.translate("SalesLabels", "Accepted"),
            OrderStatus.VOIDED: QCoreApplication.translate("SalesLabels", "Voided"),
            OrderStatus.CANCELLED: QCoreApplication.translate("SalesLabels", "Cancelled")}


def feedback_names() -> dict[str, str]:
    """反: 未/受."""
    return {FeedbackState.NONE: QCoreApplication.translate("SalesLabels", "No"),
            FeedbackState.ACCEPTED: QCoreApplication.translate("SalesLabels", "Acc.")}


def receipt_names() -> dict[str, str]:
    """垂: 未/取/拒."""
    return {ReceiptState.NONE: QCoreApplication.translate("SalesLabels", "Not yet"),
            ReceiptState.RECEIVED: QCoreApplication.translate("SalesLabels", "Recv."),
            ReceiptState.REFUSED: QCoreApplication.translate("SalesLabels", "Refused")}


def class_names() -> dict[str, str]:
    return {CustomerClass.A: QCoreApplication.translate("SalesLabels", "A VIP"),
            CustomerClass.B: QCoreApplication.translate("SalesLabels", "B Key"),
            CustomerClass.C: QCoreApplication.translate("SalesLabels", "C Ordinary"),
            CustomerClass.D: QCoreApplication.translate("SalesLabels", "D Dead")}


def source_names() -> dict[str, str]:
    return {CustomerSource.DIRECT: QCoreApplication.translate("SalesLabels", "Direct sale"),
            CustomerSource.CALLBACK: QCoreApplication.translate("SalesLabels", "Callback"),
            CustomerSource.TRANSFER: QCoreApplication.translate("SalesLabels", "Transferred")}


def difficulty_names() -> dict[str, str]:
    return {Difficulty.EASY: QCoreApplication.translate("SalesLabels", "Easy to talk to"),
            Difficulty.HARD: QCoreApplication.translate("SalesLabels", "Hard to talk to"),
            Difficulty.REFUSES: QCoreApplication.translate("SalesLabels", "Refuses calls")}


def channel_names() -> dict[str, str]:
    return {ContactChannel.CALL_IN: QCoreApplication.translate("SalesLabels", "Incoming call"),
            ContactChannel.CALL_OUT: QCoreApplication.translate("SalesLabels", "Outgoing call"),
            ContactChannel.SMS: QCoreApplication.translate("SalesLabels", "SMS"),
            ContactChannel.VISIT: QCoreApplication.translate("SalesLabels", "Visit")}


def demand_names() -> dict[str, str]:
    return {DemandType.CONSULT: QCoreApplication.translate("SalesLabels", "Consultation"),
            DemandType.ORDER: QCoreApplication.translate("SalesLabels", "Order")}


def search_fields() -> list[tuple[str, str]]:
    """The customer search kinds: A (whole or beginning), B (whole), C (anywhere)."""
    return [("name", QCoreApplication.translate("SalesLabels", "A · Name (or initials)")),
            ("registration_no", QCoreApplication.translate("SalesLabels", "A · Registration no.")),
            ("phone", QCoreApplication.translate("SalesLabels", "A · Phone")),
            ("user_account", QCoreApplication.translate("SalesLabels", "B · User account")),
            ("direct", QCoreApplication.translate("SalesLabels", "B · Name or phone, whole")),
            ("address", QCoreApplication.translate("SalesLabels", "C · Address")),
            ("end_user_name", QCoreApplication.translate("SalesLabels", "C · End user's name")),
            ("end_user_school", QCoreApplication.translate("SalesLabels", "C · End user's school")),
            ("remark", QCoreApplication.translate("SalesLabels", "C · Remark"))]


def order_search_fields() -> list[tuple[str, str]]:
    return [("order_no", QCoreApplication.translate("SalesLabels", "Order no. (beginning)")),
            ("registration_no",
             QCoreApplication.translate("SalesLabels", "Registration no. (beginning)")),
            ("waybill_no", QCoreApplication.translate("SalesLabels", "Waybill no.")),
            ("customer_name", QCoreApplication.translate("SalesLabels", "Customer name")),
            ("phone", QCoreApplication.translate("SalesLabels", "Phone")),
            ("remark", QCoreApplication.translate("SalesLabels", "Remark contains"))]


def name_of(table: dict[str, str], code: str | None) -> str:
    """The display name of `code`, or the code itself when the table lacks it."""
    if code is None:
        return ""
    return table.get(code, str(code))
