"""The annual report laid out as seed 001: cover, foreword, contents, A-F, closing, signature.

Sections A, B, E, F, the foreword and the closing are the operator's text for the year
(bot.reports.narratives); C and D are written from the figures, with percentages, the
per-channel-by-month tables and the tables of every count. The notes say in words how each
figure was counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.i18n import t
from bot.letters.letterhead import (
    atasan_signatory,
    format_plain_date,
    letterhead_html,
    signature_html,
)
from bot.reports.annual_figures import PENDING, AnnualFigures
from bot.reports.document import BarChart, Document, Section, Table, count_table
from bot.reports.narratives import SECTIONS
from bot.reports.workdays import round_half_up
from bot.settings import Settings
from store.enums import AtasanDecision, Decision, DisputeOutcome

# Section key -> (heading key, level); None marks where the figures' parts C and D go.
NARRATIVE_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("A", ("policy",)),
    ("B", ("facilities", "staff", "budget")),
    ("C", ()),
    ("D", ()),
    ("E", ("obstacles_external", "obstacles_internal")),
    ("F", ("recommendations", "follow_up_plan")),
)


@dataclass(frozen=True)
class PrintParts:
    """The body's letterhead and the signature block, for the document form of the report."""

    letterhead_html: str
    signature_html: str
    signature: tuple[str, ...]


def print_parts(settings: Settings, language: str, day: dt.date) -> PrintParts:
    """Letterhead and signature from the body's settings; the report is signed on `day` by the
    head of the body (the Atasan PPID), as seed 001 is signed by the Kepala Dinas."""
    signatory = atasan_signatory(settings)
    place = f"{settings.body_city}, " if settings.body_city.strip() else ""
    nip = f"{t('letterhead.nip', language)} {signatory.nip}" if signatory.nip.strip() else ""
    lines = (
        f"{place}{format_plain_date(day, language)}",
        signatory.position,
        "",
        "",
        signatory.name or "_" * 30,
        *((nip,) if nip else ()),
    )
    return PrintParts(
        letterhead_html(settings), signature_html(signatory, settings, day, language), lines
    )


def percent(part: int, whole: int) -> float:
    """part / whole x 100, two decimals rounded half up; 0 when `whole` is 0."""
    if not whole:
        return 0.0
    return float(round_half_up(Decimal(part) * 100 / whole, 2))


def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


class _Writer:
    """Catalogue lookups for one language and the figures of one year."""

    def __init__(self, figures: AnnualFigures, language: str, body: str) -> None:
        self.f, self.lang, self.body = figures, language, body

    def tr(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    def pct(self, part: int, whole: int) -> str:
        return _pct(percent(part, whole))

    def percent_table(
        self,
        name: str,
        title: str,
        label_header: str,
        items: list[tuple[str, int]],
        whole: int,
        *,
        chart: bool = False,
        count_header: str = "report.col.count",
    ) -> Table:
        """Label, count and share of `whole`, with a total row."""
        rows = tuple((label, n, percent(n, whole)) for label, n in items)
        total = sum(n for _, n in items)
        return Table(
            name=name,
            title=title,
            headers=(label_header, self.tr(count_header), "%"),
            rows=rows,
            footer=(self.tr("report.col.total"), total, percent(total, whole)),
            chart=BarChart(title) if chart else None,
        )


def _channel_tables(w: _Writer) -> tuple[Table, ...]:
    f = w.f
    used = [c for c, n in f.by_channel.items() if n] or list(f.by_channel)
    label = {c: w.tr(f"report.channel.{c}") for c in f.by_channel}
    months = [w.tr(f"report.month.{m}") for m in range(1, 13)]
    cross = Table(
        name=w.tr("annual.sheet.channel_month"),
        title=w.tr(
            "annual.table.all_channels",
            channels=", ".join(label[c] for c in used),
            year=f.year,
        ),
        headers=(w.tr("report.col.month"), *(label[c] for c in used), w.tr("report.col.total")),
        rows=tuple(
            (months[m - 1], *(f.by_channel_month[c][m] for c in used), f.by_month[m])
            for m in range(1, 13)
        ),
        footer=(w.tr("report.col.total"), *(f.by_channel[c] for c in used), f.requests_total),
    )
    singles = tuple(
        count_table(
            w.tr("annual.sheet.one_channel", channel=label[c])[:31],
            w.tr("annual.table.one_channel", channel=label[c], year=f.year),
            (w.tr("report.col.month"), w.tr("report.col.requests")),
            [(months[m - 1], f.by_channel_month[c][m]) for m in range(1, 13)],
            total_label=w.tr("report.col.total"),
        )
        for c in used
        if f.by_channel[c]
    )
    return (cross, *singles)


def _part_c(w: _Writer) -> tuple[Section, ...]:
    f, tr = w.f, w.tr
    short, hard = f.limits
    taken, decisions, total = f.taken, f.decisions, f.requests_total
    channels = ", ".join(
        tr("annual.c.channel_item", channel=tr(f"report.channel.{c}"), n=n, pct=w.pct(n, total))
        for c, n in f.by_channel.items()
        if n
    )
    c1_text = (
        tr("annual.c.received", year=f.year, body=w.body, total=total, channels=channels)
        if total
        else tr("annual.c.received_none", year=f.year)
    )
    summary = Table(
        tr("report.sheet.summary"),
        tr("report.annual.summary"),
        (tr("report.col.item"), tr("report.col.count")),
        (
            (tr("report.annual.requests_total"), total),
            (tr("report.annual.decided"), taken.count),
            (tr("report.annual.undecided"), decisions[PENDING]),
            *((tr(f"report.decision.{d.value}"), decisions[d.value]) for d in Decision),
            (tr("report.annual.extended"), f.extended),
            (tr("report.annual.average_days"), taken.average()),
            (tr("report.annual.max_days"), taken.maximum),
            (tr("report.annual.within", days=short), taken.within_limit(short)),
            (tr("report.annual.within", days=hard), taken.within_limit(hard)),
            (tr("report.annual.late"), f.late),
            (tr("report.annual.objections"), f.objections_total),
            (tr("report.annual.disputes"), f.disputes_total),
        ),
    )
    by_channel = w.percent_table(
        tr("report.sheet.channel"),
        tr("report.annual.by_channel"),
        tr("report.col.channel"),
        [(tr(f"report.channel.{c}"), n) for c, n in f.by_channel.items()],
        total,
        chart=True,
        count_header="report.col.requests",
    )
    by_month = count_table(
        tr("report.sheet.month"),
        tr("report.annual.by_month"),
        (tr("report.col.month"), tr("report.col.requests")),
        [(tr(f"report.month.{m}"), n) for m, n in f.by_month.items()],
        chart=True,
        total_label=tr("report.col.total"),
    )
    by_unit = count_table(
        tr("report.sheet.unit"),
        tr("report.annual.by_unit"),
        (tr("report.col.unit"), tr("report.col.requests")),
        [(name or tr("report.annual.no_unit"), n) for name, n in f.by_unit.items()],
        total_label=tr("report.col.total"),
    )
    decided = taken.count
    within_short, within_hard = taken.within_limit(short), taken.within_limit(hard)
    time_table = w.percent_table(
        tr("report.sheet.time"),
        tr("report.annual.time_taken"),
        tr("report.col.time_taken"),
        [
            (tr("report.annual.band_within", days=short), within_short),
            (
                tr("report.annual.band_between", low=short + 1, high=hard),
                within_hard - within_short,
            ),
            (tr("report.annual.band_over", days=hard), decided - within_hard),
        ],
        decided,
        chart=True,
    )
    c2_text = tr(
        "annual.c.time",
        decided=decided,
        short=short,
        hard=hard,
        within_short=within_short,
        p_short=w.pct(within_short, decided),
        within_hard=within_hard,
        p_hard=w.pct(within_hard, decided),
        late=f.late,
        p_late=w.pct(f.late, decided),
        average=_pct(taken.average()),
        maximum=taken.maximum,
        extended=f.extended,
    )
    if decisions[PENDING]:
        c2_text += " " + tr("annual.c.undecided", n=decisions[PENDING])
    decision_table = w.percent_table(
        tr("report.sheet.decision"),
        tr("report.annual.decisions"),
        tr("report.col.decision"),
        [(tr(f"report.decision.{d.value}"), decisions[d.value]) for d in Decision],
        total,
        chart=True,
    )
    full, partial = decisions[Decision.GRANTED_FULL], decisions[Decision.GRANTED_PARTIAL]
    c3_text = tr(
        "annual.c.granted",
        total=total,
        granted=f.granted,
        pct=w.pct(f.granted, total),
        full=full,
        partial=partial,
    )
    refused = decisions[Decision.REFUSED]
    refusal_table = w.percent_table(
        tr("report.sheet.refusal"),
        tr("report.annual.refusals"),
        tr("report.col.pasal17"),
        [(tr("report.annual.letter", letter=g), n) for g, n in f.refused_by_ground.items()],
        total,
    )
    c4_text = tr(
        "annual.c.refused",
        total=total,
        refused=refused,
        pct=w.pct(refused, total),
        not_held=decisions[Decision.NOT_HELD],
        not_documented=decisions[Decision.NOT_DOCUMENTED],
    )
    return (
        Section(tr("annual.h.C"), tables=(summary,)),
        Section(
            tr("annual.h.C1"),
            c1_text,
            (by_channel, by_month, *_channel_tables(w), by_unit),
            level=2,
        ),
        Section(tr("annual.h.C2"), c2_text, (time_table,), level=2),
        Section(tr("annual.h.C3"), c3_text, (decision_table,), level=2),
        Section(tr("annual.h.C4"), c4_text, (refusal_table,), level=2),
    )


def _part_d(w: _Writer) -> tuple[Section, ...]:
    f, tr = w.f, w.tr
    objections, answers = f.objections_total, f.atasan_answers
    answered = objections - answers.get(PENDING, 0)
    disputes = f.disputes_total
    results = f.dispute_results
    resolved = sum(results.values())
    grounds = w.percent_table(
        tr("report.sheet.objection"),
        tr("report.annual.objection_grounds"),
        tr("report.col.pasal35"),
        [(tr(f"report.pasal35.{g}"), n) for g, n in f.objections_by_ground.items()],
        objections,
    )
    atasan = w.percent_table(
        tr("report.sheet.atasan"),
        tr("report.annual.atasan_answers"),
        tr("report.col.atasan_answer"),
        [(tr(f"report.atasan.{a}"), n) for a, n in answers.items()],
        objections,
    )
    filed = w.percent_table(
        tr("report.sheet.dispute"),
        tr("report.annual.disputes_by_outcome"),
        tr("report.col.dispute_outcome"),
        [(tr(f"report.dispute.{o}"), n) for o, n in f.disputes_by_outcome.items()],
        disputes,
    )
    outcome_table = w.percent_table(
        tr("annual.sheet.dispute_results"),
        tr("annual.table.dispute_results", year=f.year),
        tr("report.col.dispute_outcome"),
        [(tr(f"report.dispute.{o}"), n) for o, n in results.items()],
        resolved,
    )
    texts = {
        "D1": tr(
            "annual.d.objections",
            year=f.year,
            n=objections,
            pct=w.pct(objections, f.requests_total),
            total=f.requests_total,
        ),
        "D2": tr(
            "annual.d.answers",
            answered=answered,
            pct=w.pct(answered, objections),
            upheld=answers.get(AtasanDecision.UPHELD, 0),
            overturned=answers.get(AtasanDecision.OVERTURNED, 0),
            pending=answers.get(PENDING, 0),
        ),
        "D3": tr("annual.d.disputes", n=disputes, pct=w.pct(disputes, objections)),
        "D4": tr(
            "annual.d.results",
            year=f.year,
            n=resolved,
            mediation=results.get(DisputeOutcome.MEDIATION, 0),
            adjudication=results.get(DisputeOutcome.ADJUDICATION, 0),
            withdrawn=results.get(DisputeOutcome.WITHDRAWN, 0),
            pct=w.pct(resolved, disputes),
        ),
        "D5": tr("annual.d.court", n=f.court_filed, pct=w.pct(f.court_filed, disputes)),
        "D6": tr(
            "annual.d.court_decided", n=f.court_decided, pct=w.pct(f.court_decided, f.court_filed)
        ),
    }
    tables: dict[str, tuple[Table, ...]] = {
        "D1": (grounds,),
        "D2": (atasan,),
        "D3": (filed,),
        "D4": (outcome_table,),
    }
    return (
        Section(tr("annual.h.D")),
        *(
            Section(tr(f"annual.h.{key}"), text, tables.get(key, ()), level=2)
            for key, text in texts.items()
        ),
    )


def _narrative(w: _Writer, key: str, texts: dict[str, str], level: int) -> Section:
    text = texts.get(key, "").strip() or w.tr("annual.empty", year=w.f.year, section=key)
    return Section(w.tr(f"annual.h.{key}"), text, level=level)


def annual_document(
    figures: AnnualFigures,
    language: str,
    body: str,
    *,
    texts: dict[str, str] | None = None,
    front: PrintParts | None = None,
) -> Document:
    """The whole annual report: the seed's parts in order, figures from `figures`, the year's
    written sections from `texts`, and the letterhead and signature of `front` if given."""
    w = _Writer(figures, language, body)
    tr, texts = w.tr, texts or {}
    short, hard = figures.limits
    parts: list[Section] = []
    for letter, keys in NARRATIVE_PARTS:
        if letter == "C":
            parts += _part_c(w)
        elif letter == "D":
            parts += _part_d(w)
        elif len(keys) == 1:
            parts.append(_narrative(w, keys[0], texts, 1))
            parts[-1] = Section(tr(f"annual.h.{letter}"), parts[-1].text)
        else:
            parts.append(Section(tr(f"annual.h.{letter}")))
            parts += [_narrative(w, key, texts, 2) for key in keys]
    contents = "\n".join(f"- {s.heading}" for s in parts) + f"\n- {tr('annual.h.closing')}"
    sections = (
        _narrative(w, "foreword", texts, 1),
        Section(tr("annual.h.contents"), contents),
        *parts,
        _narrative(w, "closing", texts, 1),
    )
    notes = (
        tr("report.annual.note_period", year=figures.year),
        tr("report.annual.note_days", tz=figures.timezone),
        tr("report.annual.note_limits", short=short, hard=hard),
        tr("annual.note.percent"),
        tr("annual.note.disputes"),
    )
    tables = tuple(table for section in sections for table in section.tables)
    return Document(
        title=tr("report.annual.title", year=figures.year),
        subtitle=figures.period.subtitle(body, language),
        tables=tables,
        notes=notes,
        language=language,
        cover=(
            tr("annual.cover.report"),
            tr("annual.cover.service"),
            tr("annual.cover.body", body=body.upper(), year=figures.year),
        ),
        sections=sections,
        signature=front.signature if front else (),
        letterhead_html=front.letterhead_html if front else "",
        signature_html=front.signature_html if front else "",
        data={
            **figures.as_json(),
            "body": body,
            "sections": {key: texts.get(key, "") for key in SECTIONS},
            "notes": list(notes),
        },
    )
