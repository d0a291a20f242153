"""Closed vocabularies stored as short strings (portable, readable in SQL).

Names follow docs/glossary.md. The UI translates each value through its own
tr() table; the database keeps the English code.
"""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUPERADMIN = "superadmin"   # 超级管理员
    ADMIN = "admin"             # 管理员
    OPERATOR = "operator"       # 操作员


class EmployeeStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"           # 关闭用户: gone from pick lists, cannot log in
    BANNED = "banned"           # 禁止登陆: login fails like a wrong password


class Permission(StrEnum):
    """Per-employee grants (权限设置). The first six are the TV-shopping manual's."""

    STATISTICS = "statistics"               # 统计 (else only sales statistics)
    REMOTE_ACCESS = "remote_access"         # 远程访问
    DISPATCH_FEEDBACK = "dispatch_feedback"  # 反馈 (出库反馈)
    DELETE_WITHDRAWN = "delete_withdrawn"   # 删撤销单
    WITHDRAW_ORDER = "withdraw_order"       # 错单撤销
    CANCEL_ORDER = "cancel_order"           # 订单取消
    MONITOR = "monitor"                     # 监控 (supervisor panel, CTI monitor)
    RECORDINGS = "recordings"               # 录音 (fetch others' recordings)
    EXPORT = "export"                       # 导出 (Excel, recordings)
    ARCHIVES = "archives"                   # 档案维护 (edit archives)
    CUSTOMER_MAINTENANCE = "customer_maintenance"  # 客户维护
    MISSED_ALLOCATION = "missed_allocation"  # 未接分配
    BROADCAST = "broadcast"                 # 发送通告/广播
    # 查看完整号码: without it every phone number reaches the user masked (138****5678) on
    # screen, in exports and printouts (PIPL art. 51; docs/privacy.md)
    VIEW_FULL_NUMBERS = "view_full_numbers"


class CustomerClass(StrEnum):
    A = "A"   # 贵宾
    B = "B"   # 重要
    C = "C"   # 普通 (default)
    D = "D"   # 死档


class CustomerSource(StrEnum):
    DIRECT = "direct"       # 直销 (inbound)
    CALLBACK = "callback"   # 回访
    TRANSFER = "transfer"   # 转交


class Difficulty(StrEnum):
    EASY = "easy"           # 容易沟通
    HARD = "hard"           # 难沟通
    REFUSES = "refuses"     # 拒接电话


class ContactChannel(StrEnum):
    CALL_IN = "call_in"
    CALL_OUT = "call_out"
    SMS = "sms"
    VISIT = "visit"


class DemandType(StrEnum):
    CONSULT = "consult"   # 咨询
    ORDER = "order"       # 订购


class ReminderScope(StrEnum):
    ME = "me"         # only me (VICIdial USERONLY)
    GROUP = "group"   # anyone in the callback group (ANYONE)


class DeliveryMethod(StrEnum):
    EMS = "A"      # 橡果EMS
    LOCAL = "B"    # 本地送货 (usual)
    POST = "C"     # 邮寄
    OTHER = "D"    # 其它


class Payment(StrEnum):
    COD = "cod"          # 代收货款
    PREPAID = "prepaid"  # 预收款


class LineKind(StrEnum):
    DIRECT = "direct"    # 直接销售
    BUNDLED = "bundled"  # 搭销
    GIFT = "gift"        # 赠品


class OrderStatus(StrEnum):
    NOT_SENT = "not_sent"      # 未送
    IN_TRANSIT = "in_transit"  # 在途 (printed)
    ACCEPTED = "accepted"      # 已受理 (feedback: delivered)
    VOIDED = "voided"          # 已作废
    CANCELLED = "cancelled"    # 取消单


class FeedbackState(StrEnum):
    NONE = "none"          # 未
    ACCEPTED = "accepted"  # 受


class FeedbackResult(StrEnum):
    DELIVERED = "delivered"  # 成包
    RETURNED = "returned"    # 退包


class ReceiptState(StrEnum):
    NONE = "none"          # 未
    RECEIVED = "received"  # 取
    REFUSED = "refused"    # 拒


class CallDirection(StrEnum):
    IN = "in"
    OUT = "out"


class EndCause(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"      # 早释
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    REJECTED = "rejected"
    VACANT = "vacant"            # 空号
    POWERED_OFF = "powered_off"  # 关机
    TRANSFERRED = "transferred"
    # agent-ctid stopped (or was killed) while the call was up: closed by the server's
    # shutdown or its next start; answered_at says whether it had been answered
    SERVER_STOPPED = "server_stopped"
