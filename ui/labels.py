"""Display names for the closed vocabularies in db/enums.py (the database keeps the
English code; the screen shows the glossary's word in the user's language)."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from db.enums import EmployeeStatus, Permission, Role


def role_names() -> dict[str, str]:
    return {Role.SUPERADMIN: QCoreApplication.translate("labels", "Super administrator"), Role.ADMIN: QCoreApplication.translate("labels", "Administrator"),
            Role.OPERATOR: QCoreApplication.translate("labels", "Operator")}


def status_names() -> dict[str, str]:
    return {EmployeeStatus.ACTIVE: QCoreApplication.translate("labels", "Active"), EmployeeStatus.CLOSED: QCoreApplication.translate("labels", "Closed"),
            EmployeeStatus.BANNED: QCoreApplication.translate("labels", "Login banned")}


def permission_names() -> dict[str, str]:
    return {
        Permission.STATISTICS: QCoreApplication.translate("labels", "Statistics"),
        Permission.REMOTE_ACCESS: QCoreApplication.translate("labels", "Remote access"),
        Permission.DISPATCH_FEEDBACK: QCoreApplication.translate("labels", "Dispatch feedback"),
        Permission.DELETE_WITHDRAWN: QCoreApplication.translate("labels", "Delete withdrawn orders"),
        Permission.WITHDRAW_ORDER: QCoreApplication.translate("labels", "Withdraw erroneous orders"),
        Permission.CANCEL_ORDER: QCoreApplication.translate("labels", "Cancel orders"),
        Permission.MONITOR: QCoreApplication.translate("labels", "Monitoring"),
        Permission.RECORDINGS: QCoreApplication.translate("labels", "Recordings"),
        Permission.EXPORT: QCoreApplication.translate("labels", "Export"),
        Permission.ARCHIVES: QCoreApplication.translate("labels", "Archive maintenance"),
        Permission.CUSTOMER_MAINTENANCE: QCoreApplication.translate("labels", "Customer maintenance"),
        Permission.MISSED_ALLOCATION: QCoreApplication.translate("labels", "Missed-call allocation"),
        Permission.BROADCAST: QCoreApplication.translate("labels", "Notices and broadcasts"),
        Permission.VIEW_FULL_NUMBERS: QCoreApplication.translate("labels", "View full phone numbers"),
    }
