"""The web console's sign-in links and sessions (`bot/web`, `handlers/organization/web_access.py`).

Only the SHA-256 of a link's or a session's token is stored, as for published charts: a copy
of the database holds no link that works and no session that can be taken over.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.plan import Department


class WebLink(Base):
    """A link that signs whoever opens it in to the console, for one department and role.

    `hokoku web link` and the chat's `web` command make single-use links that live 15
    minutes. An e-mailed answer link (a department's personal page) may be reusable
    (`single_use=False`) until a later `expires_at`, and be tied to one round; any link
    can be revoked.
    """

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    # Who the link is for (`slack:U0123`, `cli:yamada`): recorded as the reporter of answers.
    person: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    # The round an answer link is for (None: a sign-in link, any round).
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), default=None, index=True
    )
    single_use: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    department: Mapped[Department] = relationship()


class WebSession(Base):
    """A signed-in browser: the cookie carries the token, the row says for whom.

    Ends after `IDLE` without a request (`last_seen_at`), at `expires_at` when the link set
    one (an answer link's deadline), or when signed out or revoked (`ended_at`).
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("web_links.id", ondelete="SET NULL"), default=None, index=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    person: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), default=None
    )
    client: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str] = mapped_column(String(20), default="")

    department: Mapped[Department] = relationship()
