"""SQLAlchemy 2.0 typed models, the engine/session factory and Alembic migrations."""

from models.base import Base, utcnow
from models.chat import (
    ROLE_MEMBER,
    ROLE_OFFICE,
    AuditEntry,
    ChatIdentity,
    ChatPerson,
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
from models.mail import KIND_ADDRESS, PLATFORM_EMAIL, MailAddress
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
from models.round import ANSWERED, WITHDRAWAL, Report, ReportRevision, Round
from models.web import WebLink, WebSession

__all__ = [
    "ANSWERED",
    "KIND_ADDRESS",
    "PLATFORM_EMAIL",
    "ROLE_MEMBER",
    "ROLE_OFFICE",
    "WITHDRAWAL",
    "Assignment",
    "AuditEntry",
    "Base",
    "ChatIdentity",
    "ChatPerson",
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
    "MailAddress",
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
