"""One inbound being handled: the session, who acts, their language and remembered state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from handlers.i18n import Message, normalize_language
from handlers.interaction import conversation
from handlers.interaction.access import Caller
from handlers.interaction.intents import Actor, Inbound
from handlers.interaction.reply import Part, Reply, Say
from handlers.organization.identities import Membership
from handlers.reporting.reports import SubmitOutcome
from handlers.reporting.rounds import (
    ANSWER,
    VIEW,
    AnswerableRound,
    RoundHeader,
    answering_round,
    resolve_round,
    viewing_round,
)
from models import ROLE_OFFICE, Round


@dataclass
class Turn:
    session: Session
    inbound: Inbound
    caller: Caller
    language: str
    _states: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def actor(self) -> Actor:
        return self.inbound.actor

    @property
    def now(self) -> datetime:
        return self.inbound.now

    @property
    def today(self) -> date:
        return self.inbound.today

    @property
    def source_key(self) -> str | None:
        """What answers of this delivery carry (`slack:Ev…#line`): stored once."""
        delivery = self.inbound.delivery
        return f"{self.actor.platform}:{delivery}" if delivery else None

    # --- replies ----------------------------------------------------------------------

    def reply(self, *parts: Part, stored: tuple[SubmitOutcome, ...] = ()) -> Reply:
        return Reply(
            parts=parts,
            language=self.language,
            stored=stored,
            home_opened=self.caller.home_opened,
        )

    def say(self, message: Message, *more: Part) -> Reply:
        return self.reply(Say(message), *more)

    # --- conversation state ----------------------------------------------------------

    def _known_states(self) -> dict[str, dict[str, Any]] | None:
        """The states when known without a query (read already, or none found with the
        links); None when they would have to be read."""
        if self._states is None and not self.caller.live_states:
            self._states = {}
        return self._states

    def states(self) -> dict[str, dict[str, Any]]:
        """This person's live states in this chat, read once per turn."""
        known = self._known_states()
        if known is None:
            known = self._states = conversation.recall_all(
                self.session,
                platform=self.actor.platform,
                chat_id=self.actor.chat_id,
                user_id=self.actor.person,
                now=self.now,
            )
        return known

    def remember(self, kind: str, data: dict[str, Any], *, ttl: timedelta) -> None:
        conversation.remember(
            self.session,
            platform=self.actor.platform,
            chat_id=self.actor.chat_id,
            user_id=self.actor.person,
            kind=kind,
            data=data,
            now=self.now,
            ttl=ttl,
        )
        known = self._known_states()
        if known is not None:
            known[kind] = data

    def forget(self, kind: str) -> None:
        known = self._known_states()
        if known is not None and kind not in known:
            return  # nothing to clear
        conversation.forget(
            self.session,
            platform=self.actor.platform,
            chat_id=self.actor.chat_id,
            user_id=self.actor.person,
            kind=kind,
        )
        if self._states is not None:
            self._states.pop(kind, None)

    # --- whom an answer is for ------------------------------------------------------

    def acting(self) -> tuple[Membership, ...]:
        """The departments this chat answers for now: the pinned one (console), the one
        chosen (several links, or the office answering for another department), else all."""
        members = self.caller.memberships
        if self.actor.department_id is not None or not (len(members) > 1 or self.caller.office):
            return members
        chosen = self.states().get(conversation.CHOSEN_DEPARTMENT)
        if chosen is None:
            return members
        department_id = int(chosen["department_id"])
        own = self.caller.member_of(department_id)
        if own is not None:
            return (own,)
        if self.caller.office:
            return (
                Membership(
                    identity_id=0,
                    department_id=department_id,
                    department_name=str(chosen.get("department_name", "")),
                    role=ROLE_OFFICE,
                    kind=self.actor.chat_kind,
                ),
            )
        return members

    # --- which round ------------------------------------------------------------------

    def view_round(self) -> Round:
        """The open round, else the one closed last: what status is about, and where answers
        go (a closed round refuses them, except from the office: `submit_answers` decides)."""
        return resolve_round(
            self.session,
            organization_id=self.actor.organization_id,
            ref=self.actor.round_id,
            purpose=VIEW,
        )

    def view_round_header(self) -> RoundHeader:
        """`view_round`'s choice as plain columns, what a status is stamped with (the
        office's status is kept while its stamp is unchanged)."""
        return viewing_round(
            self.session, organization_id=self.actor.organization_id, ref=self.actor.round_id
        )

    def answering_round(self) -> AnswerableRound:
        """`view_round`'s choice as the plain columns a typed answer needs (no Round and
        Plan objects to build for every DM answer)."""
        return answering_round(
            self.session,
            organization_id=self.actor.organization_id,
            ref=self.actor.round_id,
            purpose=VIEW,
        )

    def open_round(self) -> Round:
        """Only an open round: what is still to be answered."""
        return resolve_round(
            self.session,
            organization_id=self.actor.organization_id,
            ref=self.actor.round_id,
            purpose=ANSWER,
        )


def language_of(caller: Caller, actor: Actor) -> str:
    """The reader's language: chosen with `language`, else the platform's, else the office's."""
    return caller.language or normalize_language(actor.locale) or actor.language
