"""All tables, imported here so `Base.metadata` is complete for Alembic and tests."""
from db.base import Base
from db.models.accounts import AuditLog, Department, Employee, EmployeePermission, Notice
from db.models.archives import (
    AreaCode,
    Medium,
    MobilePrefix,
    Placement,
    Product,
    Region,
    SystemSetting,
    Variety,
)
from db.models.cti import AgentStateLog, CallRecord, CtiGroup, DialedNumber, InternalNumber, Seat
from db.models.customers import (
    Contact,
    Customer,
    CustomerInitialsKey,
    CustomerPhone,
    FeedbackNote,
    Reminder,
    SearchGramStat,
)
from db.models.orders import (
    CodRemittance,
    CourierProfile,
    DispatchFeedback,
    OrderEvent,
    OrderLine,
    PrintLog,
    SalesOrder,
)
from db.models.sequences import NumberSequence

__all__ = [
    "AgentStateLog", "AreaCode", "AuditLog", "Base", "CallRecord", "CodRemittance", "Contact",
    "CourierProfile", "CtiGroup", "Customer",
    "CustomerInitialsKey", "CustomerPhone", "Department", "DispatchFeedback", "DialedNumber", "Employee", "EmployeePermission",
    "FeedbackNote", "InternalNumber", "Medium", "MobilePrefix", "Notice", "NumberSequence",
    "OrderEvent", "OrderLine", "Placement", "PrintLog", "Product", "Reminder", "Region", "SalesOrder",
    "SearchGramStat", "Seat", "SystemSetting", "Variety",
]
