"""Names are cleaned of control, bidi-override and zero-width characters, in the core, for
every channel; the names of real people, in any script, are kept as they are."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from bot.cases.opening import apply_requester_details
from bot.intake.door import InboundMessage
from bot.intake.validation import MAX_NAME_CHARS, clean_name
from bot.services import Services
from store.enums import CaseKind, Channel
from store.models import Message, Requester

# Trojan Source (CVE-2021-42574) characters and their zero-width cousins.
BIDI_AND_INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # directional marks
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width space/joiners, word joiner, BOM, SHY
)
CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
REAL_NAMES = [
    "Siti Aminah",
    "Ni Luh Putu Ayu Kartika",
    "I Gusti Ngurah Rai",
    "Dr. H. Abdul Rahman, S.H., M.Kn.",
    "Muhammad Ikhsan Al-Fauzi",
    "Andi Tenri Ajeng",
    "Cut Nyak Dhien",
    "Raden Ajeng Kartini",
    "Ong Tjie Liang",
    "Yohanes D'Souza",
    "عبد الله بن محمد",
    "مُحَمَّد",  # with harakat: damma, fatha, shadda
    "فاطمة الزهراء",
    "王小明",
    "林 美玲",
    "陳大文",
    "Nguyễn Văn An",
    "Zoë Müller-Lüdenscheidt",
    "Łukasz Żółć",
    "ʻOlelo Kahananui",
]
NAME_LETTERS = st.characters(
    categories=("Lu", "Ll", "Lt", "Lo", "Lm"),
    # scripts names in Indonesia are written in: Latin, Arabic (Jawi/Pegon), Han
    include_characters="'-.,",
).filter(lambda c: c in "'-.," or _script_ok(c))


def _script_ok(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(("LATIN", "ARABIC", "CJK UNIFIED"))


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_in_any_script_are_kept(name: str) -> None:
    assert clean_name(name) == name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Siti\u202e hanimA", "Siti hanimA"),
        ("\u2066Budi\u2069 Santoso", "Budi Santoso"),
        ("A\u200bd\u200bi", "Adi"),
        ("\ufeffRina", "Rina"),
        ("Dewi\x00\x07 Lestari", "Dewi Lestari"),
        ("  Agus\n\tPrasetyo\u2028 ", "Agus Prasetyo"),
        ("\u202e\u200b\u2066", None),
        ("", None),
        (None, None),
        ("Z" + "\u0301" * 30 + "ara", "Ź" + "\u0301" * 4 + "ara"),  # no pile of accents
    ],
)
def test_invisible_characters_are_stripped(raw: str | None, clean: str | None) -> None:
    assert clean_name(raw) == clean


@given(st.lists(st.text(NAME_LETTERS, min_size=1, max_size=12), min_size=1, max_size=4))
def test_a_name_of_letters_and_single_spaces_is_unchanged(words: list[str]) -> None:
    name = unicodedata.normalize("NFC", " ".join(words))
    if len(name) <= MAX_NAME_CHARS:
        assert clean_name(name) == name


@given(st.text(max_size=300))
def test_nothing_invisible_or_controlling_survives_and_cleaning_is_stable(raw: str) -> None:
    name = clean_name(raw)
    if name is None:
        return
    assert not set(name) & set(BIDI_AND_INVISIBLE + CONTROLS)
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs", "Cn") for c in name)
    assert name == name.strip() and "  " not in name and len(name) <= MAX_NAME_CHARS
    assert clean_name(name) == name


@given(
    st.sampled_from(REAL_NAMES),
    st.lists(st.sampled_from(BIDI_AND_INVISIBLE + CONTROLS), min_size=1, max_size=6),
    st.randoms(use_true_random=False),
)
def test_a_real_name_with_invisible_characters_sprinkled_in_comes_back(
    name: str, junk: list[str], rnd: object
) -> None:
    chars = list(name)
    for j in junk:
        chars.insert(rnd.randrange(len(chars) + 1), j)  # type: ignore[attr-defined]
    dirty = "".join(chars)
    # a control character between two words may stand for a space
    assert " ".join((clean_name(dirty) or "").split()).replace(" ", "") == name.replace(" ", "")


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WHATSAPP, Channel.TELEGRAM])
async def test_intake_cleans_the_name_on_every_channel(
    services: Services, channel: Channel
) -> None:
    sender = {Channel.EMAIL: "siti@example.id", Channel.WHATSAPP: "+6281234567890"}.get(
        channel, "4242"
    )
    await services.intake.handle_inbound(
        InboundMessage(
            channel=channel,
            external_id="hostile-name-1",
            sender=sender,
            sender_name="\u202eSiti\u200b Aminah\u2069",
            text="Mohon salinan laporan anggaran 2025",
            received_at=dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC),
            new_case_kind=CaseKind.INFORMATION_REQUEST,
            fields={"name": "Siti\u2066 Aminah\u202c"},
        )
    )
    async with services.db.session() as session:
        requester = (await session.exec(select(Requester))).one()
        message = (await session.exec(select(Message))).one()
    assert requester.name == "Siti Aminah"
    assert message.sender_name == "Siti Aminah"


async def test_a_name_set_on_the_case_later_is_cleaned_too(services: Services) -> None:
    async with services.db.transaction() as session:
        requester = Requester(name=None)
        session.add(requester)
        await session.flush()
        await apply_requester_details(session, requester, {"name": " Rina\u202e\u200b Wati "})
    async with services.db.session() as session:
        stored = (await session.exec(select(Requester))).one()
    assert stored.name == "Rina Wati"
