"""Seed 001: the 2023 annual KIP report of PPID Dinas Koperasi UKM Provinsi Kalimantan Barat.

Published figures reproduced: 671 requests in 2023 by e-mail, guest book and WhatsApp; all
answered within 17 working days (none late); 671 granted; none refused; no objections, no
disputes. The written sections (foreword, A, B, E, F, closing) are the seed's own text.

Choices where the seed is silent (documented in docs/examples.md):
- channel split: guest book 331, WhatsApp 244, e-mail 96 (the report's per-channel tables
  are images that did not survive); channels are interleaved evenly over the year;
- per month: 48 52 61 44 55 58 60 63 57 59 62 52 (January..December);
- time taken: working days 1..10 in rotation; every 28th request is extended (7 working days,
  announced on working day 8) and decided on working day 11..17;
- all granted in full, soft copy for e-mail and WhatsApp, hard copy at the desk, no fee.
Requesters are synthetic (names, NIKs of Kota Pontianak, addresses, phone numbers 0812-5...);
a phone number is a contact no channel sends to, so loading the example messages no requester.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import officer_actor
from bot.cases.opening import open_case
from bot.reports.narratives import save_narrative
from bot.workflow.requests import decide, extend
from bot.workflow.rules import Rules
from sandbox.examples.common import add_officer, claim_example, local_instant
from sandbox.examples.seed_001_text import TEXTS
from store.enums import CaseKind, Channel, Decision, Role
from store.models import Requester

NAME = "seed-001"
YEAR = 2023
CHANNELS = {Channel.BUKU_TAMU: 331, Channel.WHATSAPP: 244, Channel.EMAIL: 96}
MONTHS = (48, 52, 61, 44, 55, 58, 60, 63, 57, 59, 62, 52)
EXTEND_EVERY = 28

_FIRST = ("Agus", "Siti", "Budi", "Dewi", "Hendra", "Nur", "Rudi", "Yuliana", "Fajar", "Lestari")
_LAST = ("Santoso", "Rahmawati", "Pratama", "Wijaya", "Saputra", "Lim", "Hidayat", "Kurniawan")
_OCCUPATIONS = ("Pengurus koperasi", "Pelaku UMKM", "Mahasiswa", "Wiraswasta", "Peneliti")
_TOPICS = (
    "Data koperasi aktif per kabupaten/kota",
    "Daftar UMKM binaan tahun berjalan",
    "Persyaratan pendirian koperasi",
    "Jadwal pelatihan kewirausahaan",
    "Format izin usaha simpan pinjam",
    "Rekap nomor induk koperasi (NIK koperasi)",
)
_PURPOSES = ("Pengembangan usaha", "Penelitian/skripsi", "Pengurusan izin", "Bahan rapat anggota")


def channel_order(counts: dict[Channel, int]) -> list[Channel]:
    """The channels spread evenly over the year: each at even steps of its own share."""
    total = sum(counts.values())
    positions = [
        ((j + 0.5) * total / n, i, channel)
        for i, (channel, n) in enumerate(counts.items())
        for j in range(n)
    ]
    return [channel for _, _, channel in sorted(positions, key=lambda p: (p[0], p[1]))]


def working_days_of_month(rules: Rules, year: int, month: int) -> list[dt.date]:
    """The working days of one month."""
    day, found = dt.date(year, month, 1), []
    while day.month == month:
        if rules.calendar.is_working_day(day):
            found.append(day)
        day += dt.timedelta(days=1)
    return found


def _details(g: int, channel: Channel) -> dict[str, Any]:
    born = dt.date(1970 + g % 35, 1 + g % 12, 1 + g % 28)
    day = born.day + (40 if g % 2 else 0)  # Dukcapil: women's day of birth + 40
    nik = f"617101{day:02d}{born.month:02d}{born.year % 100:02d}{g % 9999 + 1:04d}"
    by_copy = channel != Channel.BUKU_TAMU
    return {
        "name": f"{_FIRST[g % len(_FIRST)]} {_LAST[g // len(_FIRST) % len(_LAST)]}",
        "nik": nik,
        "address": f"Jl. Gajah Mada No. {g % 200 + 1}, Pontianak",
        "phone": f"0812{5000000 + g:08d}",
        "occupation": _OCCUPATIONS[g % len(_OCCUPATIONS)],
        "information_requested": _TOPICS[g % len(_TOPICS)],
        "purpose": _PURPOSES[g % len(_PURPOSES)],
        "obtain_method": "salinan_softcopy" if by_copy else "salinan_hardcopy",
        "delivery_method": "email" if by_copy else "ambil_langsung",
    }


async def load(session: AsyncSession, rules: Rules, now: dt.datetime) -> dict[str, int]:
    """Open and decide the 671 requests of 2023; return what was created."""
    officer = await add_officer(session, "PPID Diskopukm Kalbar", Role.PPID_UTAMA)
    actor = officer_actor(officer)
    await claim_example(session, NAME, actor, now)
    channels = channel_order(CHANNELS)
    g = 0
    for month, count in enumerate(MONTHS, 1):
        days = working_days_of_month(rules, YEAR, month)
        for i in range(count):
            channel = channels[g]
            day = days[i * len(days) // count]
            received = local_instant(rules, day, 8 + i % 7, (g * 7) % 60)
            details = _details(g, channel)
            requester = Requester(name=details["name"])
            session.add(requester)
            await session.flush()
            case = await open_case(
                session,
                kind=CaseKind.INFORMATION_REQUEST,
                channel=channel,
                requester=requester,
                received_at=received,
                rules=rules,
                actor=actor,
                now=received,
                details=details,
            )
            start = rules.local_date(received)
            if g % EXTEND_EVERY == 0:
                await extend(
                    session,
                    case,
                    reason="Informasi perlu dihimpun dari beberapa bidang",
                    rules=rules,
                    actor=actor,
                    now=local_instant(rules, rules.calendar.add_working_days(start, 8), 15),
                )
                taken = 11 + (g // EXTEND_EVERY) % 7
            else:
                taken = 1 + g % 10
            await decide(
                session,
                case,
                decision=Decision.GRANTED_FULL,
                rules=rules,
                actor=actor,
                now=local_instant(rules, rules.calendar.add_working_days(start, taken), 15, 30),
                information_form="softcopy"
                if details["delivery_method"] == "email"
                else "hardcopy",
                time_to_provide="Pada hari pemberitahuan",
            )
            g += 1
    for section, text in TEXTS.items():
        await save_narrative(session, YEAR, section, text, actor=actor, now=now)
    return {"requests": g, "report_sections": len(TEXTS)}
