"""`redact` finds NIKs and Indonesian phone numbers however people write them (property tests).

Numbers are generated, then written the ways citizens write them — grouped with spaces, dots,
dashes, slashes, underscores, commas or brackets, after +62, 62, 0 or nothing, inside a
wa.me link, with zero-width characters slipped in — and put in a sentence. Whatever the
notation, the digits that identify the person must not survive.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.privacy.masking import clean_relay_text, mask_phone, redact

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e"]
SEPARATORS = [" ", "  ", ".", "-", " - ", "/", "_", ",", "\u00a0", "\t"]
TEXTS = [
    "NIK saya {} mohon dicek",
    "{}",
    "Hubungi saya di {} ya, terima kasih.",
    "nomor: {}.",
    "(no hp {})",
    "kontak {}\nalamat terlampir",
]


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


@st.composite
def niks(draw: st.DrawFn) -> str:
    """16 digits as a NIK has them: province 11-94, regency, district, birth date (women: day
    + 40), serial."""
    province = draw(st.integers(11, 94))
    regency, district = draw(st.integers(1, 99)), draw(st.integers(1, 99))
    day = draw(st.integers(1, 31)) + draw(st.sampled_from([0, 40]))
    month, year = draw(st.integers(1, 12)), draw(st.integers(0, 99))
    serial = draw(st.integers(1, 9999))
    return f"{province}{regency:02d}{district:02d}{day:02d}{month:02d}{year:02d}{serial:04d}"


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    """A mobile number's digits after the trunk 0: 8, operator digit 1-9, 7 to 10 more."""
    operator = draw(st.sampled_from("1235789"))
    rest = draw(st.text("0123456789", min_size=7, max_size=10))
    return f"8{operator}{rest}"


@st.composite
def landlines(draw: st.DrawFn) -> str:
    """A landline's digits after the trunk 0: area code 21-979, subscriber number."""
    area = draw(st.sampled_from(["21", "22", "24", "31", "61", "274", "341", "511", "541", "911"]))
    subscriber = draw(st.text("0123456789", min_size=6, max_size=8).filter(lambda s: s[0] != "0"))
    return area + subscriber


@st.composite
def grouped(draw: st.DrawFn, digits: str) -> str:
    """`digits` cut into groups of 1-6 joined by one kind of separator (as people do)."""
    separator = draw(st.sampled_from(["", *SEPARATORS]))
    groups, i = [], 0
    while i < len(digits):
        size = draw(st.integers(2, 6)) if separator else len(digits)
        groups.append(digits[i : i + size])
        i += size
    return separator.join(groups)


@st.composite
def with_invisible(draw: st.DrawFn, text: str) -> str:
    """`text` with zero-width characters slipped in at some places."""
    chars = list(text)
    for _ in range(draw(st.integers(0, 3))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from(INVISIBLE)))
    return "".join(chars)


@st.composite
def phone_notations(draw: st.DrawFn) -> tuple[str, str]:
    """(national number, as written): mobiles and landlines in every common notation."""
    national = draw(st.one_of(mobiles(), landlines()))
    body = draw(grouped(national))
    style = draw(st.sampled_from(["0", "+62", "+62 ", "62", "+62 (0)", "(0)", "wa.me", "bare"]))
    if style == "bare" and not national.startswith("8"):
        style = "0"  # only mobile numbers are written without their leading 0
    if style == "(0)" and not national.startswith("8"):
        area, number = national[:2], national[2:]
        written = f"(0{area}) {draw(grouped(number))}"
    elif style == "wa.me":
        written = f"https://wa.me/62{national}?text=halo"
    elif style == "bare":
        # Without its 0 or +62 a mobile cut into thousands by commas ("810,000,000") is
        # written exactly as an amount is in English, and by dots in threes ("810.000.000")
        # as one is in Indonesian; amounts must stay readable, so a bare number is only taken
        # for a phone with other separators.
        in_thousands = re.fullmatch(r"[1-9]\d{0,2}(\.\d{3})+", body)
        written = re.sub(r"[,.]", "-", body) if "," in body or in_thousands else body
    elif style == "(0)":
        written = f"(0){body}"
    else:
        written = style + body
    return national, draw(with_invisible(written))


@given(nik=niks(), data=st.data())
@settings(max_examples=300, deadline=None)
@example(nik="3171014501900001", data=None)
def test_every_nik_notation_is_masked(nik: str, data: st.DataObject | None) -> None:
    if data is None:
        written, template = "3171/0145/0190/0001", "NIK {}"
    else:
        written = data.draw(with_invisible(data.draw(grouped(nik))))
        template = data.draw(st.sampled_from(TEXTS))
    out = redact(template.format(written))
    assert digits_of(out) == nik[:4] + nik[-4:], (written, out)
    assert "********" in out


@given(phone=phone_notations(), template=st.sampled_from(TEXTS))
@settings(max_examples=500, deadline=None)
@example(phone=("81234567890", "+62 (0)812-3456-7890"), template="{}")
@example(phone=("81234567890", "wa.me/6281234567890"), template="{}")
@example(phone=("81234567890", "812 3456 7890"), template="hp {}")
@example(phone=("81234567890", "0812\u200b3456\u200b7890"), template="hp {}")
@example(phone=("213456789", "(021) 3456789"), template="telp {}")
@example(phone=("810000000", "810-000-000"), template="NIK saya {} mohon dicek")
def test_every_phone_notation_is_masked(phone: tuple[str, str], template: str) -> None:
    national, written = phone
    out = redact(template.format(written))
    left = digits_of(out)
    # At most the country/operator prefix and the last three digits are left; never the
    # subscriber number, and at least four digits are hidden.
    assert national[3:-3] not in left or len(national[3:-3]) < 4, (written, out)
    assert len(left) <= len(national) + 2 - 4, (written, out)
    assert "****" in out


@given(nik=niks(), phone=mobiles(), separator=st.sampled_from([" ", ", ", "; ", "  ", "\n"]))
@settings(max_examples=200, deadline=None)
def test_a_nik_next_to_a_phone_is_masked_as_both(nik: str, phone: str, separator: str) -> None:
    out = redact(f"{nik}{separator}0{phone}")
    assert out.startswith(nik[:4] + "********" + nik[-4:])
    assert out.endswith(mask_phone("0" + phone))


@given(
    value=st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
        st.times().map(lambda t: t.strftime("%H:%M")),
        st.integers(1, 999_999_999_999).map(lambda n: f"Rp {n:,}".replace(",", ".")),
        st.integers(1, 999_999).map(lambda n: f"PPID/2026/{n:06d}"),
        st.integers(1, 9_999).map(lambda n: f"{n} orang"),
        st.lists(st.integers(1990, 2030), min_size=2, max_size=6).map(
            lambda ys: ", ".join(map(str, ys))
        ),
        st.lists(st.integers(1990, 2030), min_size=2, max_size=6).map(
            lambda ys: " ".join(map(str, ys))
        ),
    )
)
@settings(max_examples=300, deadline=None)
def test_dates_amounts_references_and_counts_stay_as_written(value: str) -> None:
    text = f"pada {value} sesuai surat"
    assert redact(text) == text


@given(nik=niks(), gap=st.sampled_from(["  ", "\n", "\t ", " \u200b "]))
@settings(max_examples=100, deadline=None)
def test_relay_text_is_one_line_with_one_space_and_masked(nik: str, gap: str) -> None:
    out = clean_relay_text(f"Mohon{gap}bantuan,{gap}NIK{gap}{nik}\u200b")
    assert out == f"Mohon bantuan, NIK {nik[:4]}********{nik[-4:]}"
