"""SQLAlchemy 2.0 typed models, the engine/session factory and Alembic migrations."""

from models.base import Base, utcnow
from models.chat import (
    ROLE_MEMBER,
    ROLE_OFFICE,
    AuditEntry,
    ChatIdentity,
    ConversationState,
    InviteCode,
    InviteFailure,
    ProcessedEvent,
)
from models.committee import (
    Evaluation,
    Indicator,
    IndicatorValue,
    IndicatorValueRevision,
    PublishedChart,
)
from models.outbox import Notification
from models.plan import (
    Assignment,
    Department,
    DepartmentAlias,
    Item,
    Organization,
    Plan,
    PlanNode,
)
from models.round import Report, ReportRevision, Round
from models.web import WebLink, WebSession

__all__ = [
    "ROLE_MEMBER",
    "ROLE_OFFICE",
    "Assignment",
    "AuditEntry",
    "Base",
    "ChatIdentity",
    "ConversationState",
    "Department",
    "DepartmentAlias",
    "Evaluation",
    "Indicator",
    "IndicatorValue",
    "IndicatorValueRevision",
    "InviteCode",
    "InviteFailure",
    "Item",
    "Notification",
    "Organization",
    "Plan",
    "PlanNode",
    "ProcessedEvent",
    "PublishedChart",
    "Report",
    "ReportRevision",
    "Round",
    "WebLink",
    "WebSession",
    "utcnow",
]
