"""What the committee's document holds besides the 達成状況一覧: the summary (sentences, grades
per goal, completion per department, last year beside this year), the indicators and the
committee's evaluations. Plain data for the export's sheets (`handlers.export.committee_sheets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from handlers.committee.compare import Comparison, compare_rounds
from handlers.committee.evaluations import EvaluationSheet, evaluation_sheet, missing_level
from handlers.committee.indicators import IndicatorStatus, indicator_status
from handlers.committee.summary_text import SummaryText, check_language, summary_text
from handlers.export.table import ExportTable, build_table
from handlers.reporting.status import StatusSummary, summarize
from models import Evaluation, Round


@dataclass(frozen=True)
class CommitteeSheets:
    fiscal_year: int
    language: str  # of the sheets' words and the summary sentences: ja / en
    summary: SummaryText
    comparison: Comparison
    status: StatusSummary
    indicators: tuple[IndicatorStatus, ...]  # empty: the plan has none
    evaluations: EvaluationSheet | None  # None: nothing evaluated in this round

    @property
    def plan_title(self) -> str:
        return self.status.plan_title


def has_evaluations(sheet: EvaluationSheet) -> bool:
    return any(row.grade is not None for row in (*sheet.rows, *sheet.orphans))


def export_evaluations(
    session: Session, *, round_id: int, wanted: bool | None = None
) -> EvaluationSheet | None:
    """The committee's evaluations for the export: always (`wanted=True`; a plan without an
    evaluation level is told how to set one), never (`False`), or when the round has any
    (`None`, the default)."""
    if wanted is False:
        return None
    if wanted is None and not session.scalar(
        select(exists().where(Evaluation.round_id == round_id))
    ):
        return None  # nothing recorded: not worth reading the round's slots
    sheet = evaluation_sheet(session, round_id=round_id)
    if wanted and sheet.level is None:
        raise missing_level(sheet.plan_name)
    return sheet if wanted or has_evaluations(sheet) else None


def build_committee_sheets(
    session: Session,
    *,
    round_id: int,
    today: date,
    language: str = "ja",
    good: Sequence[str] | None = None,
    evaluations: EvaluationSheet | None = None,
) -> CommitteeSheets:
    """Everything the summary, indicator and evaluation sheets show, for one round.

    `evaluations` is what `export_evaluations` chose (None: no evaluation sheet).
    """
    check_language(language)
    comparison = compare_rounds(session, round_id=round_id, good=good)
    status = summarize(session, round_id=round_id, today=today)
    return CommitteeSheets(
        fiscal_year=session.get_one(Round, round_id).fiscal_year,
        language=language,
        summary=summary_text(comparison),
        comparison=comparison,
        status=status,
        indicators=indicator_status(session, round_id=round_id),
        evaluations=evaluations,
    )


@dataclass(frozen=True)
class ExportDocument:
    table: ExportTable
    committee: CommitteeSheets | None  # None: the table alone (CSV)


def export_document(
    session: Session,
    *,
    round_id: int,
    today: date,
    previous: bool = False,
    evaluation: bool | None = None,
    language: str = "ja",
    sheets: bool = True,
) -> ExportDocument:
    """Everything `hokoku export` writes for one round: the table (with last year's grades
    when `previous`, the committee's grade as `export_evaluations` decides from `evaluation`)
    and, with `sheets`, the committee's sheets; `handlers.export.table_xlsx.write_xlsx(table, path,
    committee=...)` or `handlers.export.table_csv.write_csv(table, path)` writes it. Every
    word of the table and the sheets is in `language` (ja / en)."""
    check_language(language)
    evaluations = export_evaluations(session, round_id=round_id, wanted=evaluation)
    table = build_table(
        session, round_id=round_id, previous=previous, evaluations=evaluations, language=language
    )
    committee = (
        build_committee_sheets(
            session, round_id=round_id, today=today, language=language, evaluations=evaluations
        )
        if sheets
        else None
    )
    return ExportDocument(table=table, committee=committee)
