"""Seed 004: the 2024 SP4N-LAPOR! recap of the Provinsi Nusa Tenggara Timur (40 units).

Published figures reproduced (docs/examples.md): 48 complaints received in 2024, 44 Selesai
and 4 Arsip; per unit the counts, RTL (BKD 9.7, Koperasi 1.5, PUPR 7.5, Pendidikan 0.8, DKP
1.3, Inspektorat 24.8, Perhubungan 24, BPBD 0.5, Dinsos 4, DPMD 8, DPMPTSP 1, Perindag 1, the
rest 0; overall 7.1) and RHP (BKD 5.00, Pertanian 5.00; overall 5.00); RV 0; Admin Provinsi
Ntt2 verified 42 in 2024 (22 within 3 working days, 20 later, 6.9 days on average), archived
3 and held none; 43 dispositions in 2024, 32 within 5 working days and 11 later.

How the seed's figures fit together, where it does not say:
- RTL is built as whole working days from disposition to follow-up per complaint (unit sums
  58, 9, 45, 5, 5, 99, 72, 1, 8, 0, 8, 1, 1, 0 = 312; 312 / 44 = 7.1);
- two done complaints arrived on 30 and 31 December 2024 and were verified on 2 January 2025
  (and one archived on 3 January 2025): so 44 are done while only 42 verifications and 3
  archivings fall in 2024;
- one complaint was disposed to the wrong unit and re-disposed a week later: 42 first
  dispositions + 1 re-disposition = the seed's 43 dispositions;
- row 14 (Dinas Pertanian, 1 done) shows %TL 0 in the seed; the formula gives 100.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import SYSTEM, officer_actor, requester_actor
from bot.cases.opening import open_case
from bot.workflow import complaints as wf
from bot.workflow.rules import Rules
from sandbox.examples.common import (
    add_officer,
    claim_example,
    local_instant,
    nth_working_day,
    unit_named,
)
from store.enums import CaseKind, Channel, Role
from store.models import Case, Requester

NAME = "seed-004"
YEAR = 2024
ADMIN = "Admin Provinsi Ntt2"
NTT = "Provinsi Nusa Tenggara Timur"

# (unit, working days from disposition to follow-up per done complaint, ratings given)
UNITS_WITH_CASES: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    (f"Dinas Pendidikan dan Kebudayaan {NTT}", (0, 1, 1, 1, 1, 1), ()),
    (f"Badan Kepegawaian Daerah {NTT}", (5, 8, 9, 10, 12, 14), (5, 5)),
    (f"Dinas Pekerjaan Umum dan Perumahan Rakyat {NTT}", (5, 6, 7, 8, 9, 10), ()),
    (f"Dinas Koperasi, Tenaga Kerja dan Transmigrasi {NTT}", (1, 1, 1, 2, 2, 2), ()),
    (f"Dinas Kelautan dan Perikanan {NTT}", (1, 1, 1, 2), ()),
    (f"Inspektorat Daerah {NTT}", (20, 24, 27, 28), ()),
    (f"Dinas Perhubungan {NTT}", (22, 24, 26), ()),
    (f"Badan Penanggulangan Bencana Daerah {NTT}", (0, 1), ()),
    (f"Dinas Sosial {NTT}", (3, 5), ()),
    (f"Badan Pendapatan dan Aset Daerah {NTT}", (0,), ()),
    (f"Dinas Pemberdayaan Masyarakat dan Desa {NTT}", (8,), ()),
    ("Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", (1,), ()),
    (f"Dinas Perindustrian dan Perdagangan {NTT}", (1,), ()),
    (f"Dinas Pertanian dan Ketahanan Pangan {NTT}", (0,), (5,)),
)
UNITS_WITHOUT_CASES: tuple[str, ...] = (
    f"Badan Keuangan Daerah {NTT}",
    f"Badan Pengelola Perbatasan {NTT}",
    f"Badan Pengembangan SDM Daerah {NTT}",
    f"Badan Penghubung {NTT}",
    f"Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah {NTT}",
    f"Biro Administrasi Pimpinan Setda {NTT}",
    f"Biro Ekonomi dan Kerjasama Setda {NTT}",
    f"Biro Hukum Setda {NTT}",
    f"Biro Organisasi Setda {NTT}",
    f"Biro Pemerintahan Setda {NTT}",
    f"Biro Pengadaan Barang dan Jasa Setda {NTT}",
    f"Biro Umum Setda {NTT}",
    f"Dinas Komunikasi dan Informatika {NTT}",
    f"Dinas Energi dan Sumber Daya Mineral {NTT}",
    f"Dinas Kearsipan dan Perpustakaan {NTT}",
    f"Badan Kesatuan Bangsa dan Politik {NTT}",
    f"Dinas Kepemudaan dan Olahraga {NTT}",
    f"Dinas Kesehatan {NTT}",
    f"Dinas Lingkungan Hidup dan Kehutanan {NTT}",
    f"Dinas Pariwisata dan Ekonomi Kreatif {NTT}",
    f"Dinas Pemberdayaan Perempuan dan Perlindungan Anak {NTT}",
    f"Dinas Peternakan {NTT}",
    f"RSUD Prof. DR. W. Z. Johannes Kupang {NTT}",
    f"Satuan Polisi Pamong Praja {NTT}",
    f"Sekretariat DPRD {NTT}",
    "UPTD Pendapatan / SAMSAT Kota Kupang",
)
# Working days from receipt to verification of the 42 complaints verified in 2024:
# 22 within 3 days, 20 later; sum 290, 290 / 42 = 6.9.
VERIFY_DAYS = (1,) * 11 + (2,) * 11 + (4,) * 5 + (5,) * 5 + (21,) * 8 + (22,) * 2
# (unit index, case index) of the two complaints received in the last days of December.
DECEMBER = {(3, 5): dt.date(2024, 12, 30), (2, 5): dt.date(2024, 12, 31)}
VERIFIED_IN_JANUARY = dt.date(2025, 1, 2)
REDISPOSE_UNIT, WRONG_UNIT, REDISPOSE_AFTER = 6, 2, 6  # Perhubungan, first sent to PUPR
ARCHIVED_2024 = (62, 124, 186)  # n-th working day of 2024 they arrived; archived 2 days later
ARCHIVED_LATE = (dt.date(2024, 12, 31), dt.date(2025, 1, 3))


@dataclass(frozen=True)
class Plan:
    """One done complaint: its unit, receipt date, days to verify and days to follow up."""

    unit: int
    received: dt.date
    verified: dt.date
    followup_days: int
    rating: int | None
    redispose_on: dt.date | None = None


def plan(rules: Rules) -> list[Plan]:
    """The 44 done complaints, dated so that the recap gives the seed's figures."""
    plans: list[Plan] = []
    cal, n = rules.calendar, 0
    redisposed = False
    for u, (_, days, ratings) in enumerate(UNITS_WITH_CASES):
        for c, followup in enumerate(days):
            rating = ratings[c] if c < len(ratings) else None
            if (u, c) in DECEMBER:
                plans.append(Plan(u, DECEMBER[(u, c)], VERIFIED_IN_JANUARY, followup, rating))
                continue
            received = nth_working_day(rules, YEAR, 3 + n * 5)
            verify = VERIFY_DAYS[(n * 17) % len(VERIFY_DAYS)]
            verified = cal.add_working_days(received, verify)
            again = None
            if u == REDISPOSE_UNIT and verify <= 3 and not redisposed:
                again, redisposed = cal.add_working_days(verified, REDISPOSE_AFTER), True
            plans.append(Plan(u, received, verified, followup, rating, again))
            n += 1
    return plans


async def _complaint(
    session: AsyncSession, rules: Rules, received: dt.datetime, number: int
) -> Case:
    requester = Requester(name=f"Pelapor {number:02d}")
    session.add(requester)
    await session.flush()
    return await open_case(
        session,
        kind=CaseKind.COMPLAINT,
        channel=Channel.WEB,
        requester=requester,
        received_at=received,
        rules=rules,
        actor=requester_actor(requester.id),
        now=received,
        details={
            "description": f"Laporan SP4N-LAPOR! nomor {number}",
            "classification": "pengaduan",
        },
    )


async def load(session: AsyncSession, rules: Rules, now: dt.datetime) -> dict[str, int]:
    """Create the 40 units and work the 48 complaints of 2024; return what was created."""
    admin = await add_officer(session, ADMIN, Role.ADMIN)
    admin_actor = officer_actor(admin)
    await claim_example(session, NAME, admin_actor, now)
    units = [await unit_named(session, name) for name, _, _ in UNITS_WITH_CASES]
    for name in UNITS_WITHOUT_CASES:
        await unit_named(session, name)
    liaisons = [
        officer_actor(
            await add_officer(session, f"Pejabat Penghubung {u.code}", Role.UNIT_OFFICER, u.id)
        )
        for u in units
    ]
    at = local_instant
    for number, p in enumerate(sorted(plan(rules), key=lambda p: p.received), 1):
        case = await _complaint(session, rules, at(rules, p.received, 8 + number % 4), number)
        first_unit = WRONG_UNIT if p.redispose_on else p.unit
        await wf.verify_and_dispose(
            session,
            case,
            unit_id=units[first_unit].id,
            rules=rules,
            actor=admin_actor,
            now=at(rules, p.verified, 10),
        )
        disposed_on = p.verified
        if p.redispose_on:
            await wf.redispose(
                session,
                case,
                unit_id=units[p.unit].id,
                rules=rules,
                actor=admin_actor,
                now=at(rules, p.redispose_on, 11),
            )
            disposed_on = p.redispose_on
        followed = rules.calendar.add_working_days(disposed_on, p.followup_days)
        await wf.post_followup(
            session,
            case,
            text="Pengaduan telah ditindaklanjuti oleh unit.",
            rules=rules,
            actor=liaisons[p.unit],
            now=at(rules, followed, 14),
        )
        closes = rules.calendar.add_working_days(followed, rules.settings.complaint_autoclose_days)
        await wf.close(
            session, case, rules=rules, actor=SYSTEM, now=at(rules, closes, 9), automatic=True
        )
        if p.rating is not None:
            await wf.rate(
                session,
                case,
                rating=p.rating,
                comment="Terima kasih, sudah ditangani.",
                rules=rules,
                actor=requester_actor(case.requester_id),
                now=at(rules, closes, 12),
            )
    archived = [(nth_working_day(rules, YEAR, n), None) for n in ARCHIVED_2024]
    for number, (received, archived_on) in enumerate([*archived, ARCHIVED_LATE], 45):
        case = await _complaint(session, rules, at(rules, received, 13), number)
        when = archived_on or rules.calendar.add_working_days(received, 2)
        await wf.archive(
            session,
            case,
            reason="Bukan pengaduan pelayanan publik (konten tidak jelas).",
            rules=rules,
            actor=admin_actor,
            now=at(rules, when, 15),
        )
    return {"units": len(units) + len(UNITS_WITHOUT_CASES), "complaints": number}
