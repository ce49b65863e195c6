"""The fields of a case, declared once for every channel (domain.md §2 request, §4 complaint).

Each field has a name, a kind (what sort of value it holds), the details it stores (the
identity field stores a NIK or an SK number; the contact field a phone number or an email
address), the case kinds it belongs to and those that require it, its choices, and the
validation every channel applies. Channels only render them: a chat form asks them one per
message, a mail answer lists the missing ones as a "Field: value" template and reads the lines
back (each channel's forms module); intake and the desk store them
(bot.cases.opening).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import DomainError
from bot.intake.validation import normalise_phone, validate_email, validate_nik
from store.enums import CaseKind

REQUEST, COMPLAINT = CaseKind.INFORMATION_REQUEST, CaseKind.COMPLAINT

# domain.md §2 items 9 and 10
OBTAIN_METHODS = (
    "melihat",
    "membaca",
    "mendengarkan",
    "mencatat",
    "salinan_softcopy",
    "salinan_hardcopy",
)
DELIVERY_METHODS = ("ambil_langsung", "kurir", "pos", "faksimili", "email")
# SP4N-LAPOR! classifications of a complaint.
CLASSIFICATIONS = ("aspirasi", "pengaduan", "permintaan_informasi", "whistle_blowing")

# The details that describe the requester rather than the case (stored on the requester or,
# phone and email, as their contacts).
REQUESTER_DETAILS = ("name", "nik", "entity_sk_number", "address", "occupation", "phone", "email")
CONTACT_DETAILS = ("phone", "email")
# A one-line detail is cut to this many characters; free text is kept whole.
LINE_MAX_CHARS = 255
SK_NUMBER_MAX_CHARS = 128


@dataclass(frozen=True)
class CaseField:
    """One field of a case: see the module docstring."""

    name: str
    kind: str  # name | text | line | identity | contact | phone | email | choice | date | ...
    kinds: frozenset[CaseKind]
    required_for: frozenset[CaseKind] = frozenset()
    stores: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    min_len: int = 0  # of a typed answer, where a channel asks for one

    @property
    def details(self) -> tuple[str, ...]:
        """The detail keys this field fills."""
        return self.stores or (self.name,)

    @property
    def free_text(self) -> bool:
        """True for text that may run over several lines and is kept whole."""
        return self.kind == "text"

    @property
    def label_key(self) -> str:
        """The catalogue key naming the field in any channel's message (e.g. what is missing)."""
        return f"field.{self.name}"

    @property
    def invalid_key(self) -> str:
        """The catalogue key of the error for a value that is not one of the choices."""
        return f"fields.{self.name}_invalid"

    def check_choice(self, value: str) -> str:
        """`value` if it is one of the choices; DomainError naming them otherwise."""
        if value not in self.choices:
            raise DomainError(self.invalid_key, choices=", ".join(self.choices))
        return value


_REQ, _COMPL, _BOTH = frozenset({REQUEST}), frozenset({COMPLAINT}), frozenset({REQUEST, COMPLAINT})

# In the order a form asks for them (the required fields of a request first, domain.md §2).
FIELDS = (
    CaseField("name", "name", _BOTH, required_for=_REQ),
    CaseField("identity", "identity", _REQ, required_for=_REQ, stores=("nik", "entity_sk_number")),
    CaseField("address", "text", _REQ, required_for=_REQ, min_len=10),
    CaseField("contact", "contact", _REQ, required_for=_REQ, stores=CONTACT_DETAILS),
    CaseField("information_requested", "text", _REQ, required_for=_REQ, min_len=10),
    CaseField("purpose", "text", _REQ, required_for=_REQ, min_len=5),
    CaseField("obtain_method", "choice", _REQ, required_for=_REQ, choices=OBTAIN_METHODS),
    CaseField("delivery_method", "choice", _REQ, required_for=_REQ, choices=DELIVERY_METHODS),
    CaseField("email", "email", _REQ),
    CaseField("phone", "phone", _BOTH),
    CaseField("occupation", "line", _REQ, min_len=3),
    CaseField("acting_for", "line", _REQ, min_len=3),
    CaseField("description", "text", _COMPL, min_len=15),
    CaseField("classification", "choice", _COMPL, choices=CLASSIFICATIONS),
    CaseField("category", "line", _COMPL, min_len=3),
    CaseField("location", "location", _COMPL),
    CaseField("incident_date", "date", _COMPL),
    CaseField("anonymous", "yesno", _COMPL),
    CaseField("confidential", "yesno", _COMPL),
    CaseField("oversight", "line", _COMPL),
)
FIELD = {f.name: f for f in FIELDS}


def required_fields(kind: CaseKind | str) -> tuple[str, ...]:
    """The names of the fields a case of `kind` needs, in form order."""
    return _REQUIRED[CaseKind(kind)]


_REQUIRED = {k: tuple(f.name for f in FIELDS if k in f.required_for) for k in CaseKind}


def case_details(kind: CaseKind | str) -> tuple[str, ...]:
    """The details of a case of `kind` stored on the case itself (not on its requester)."""
    kind = CaseKind(kind)
    return tuple(
        d for f in FIELDS if kind in f.kinds for d in f.details if d not in REQUESTER_DETAILS
    )


def read_identity(text: str) -> dict[str, str]:
    """An identity as typed: digits (with spaces, dots, dashes) are a NIK, validated; anything
    else is the SK number of a legal entity. Raises DomainError for a malformed NIK."""
    if re.fullmatch(r"[\d\s.-]+", text):
        return {"nik": validate_nik(text)}
    return {"entity_sk_number": text[:SK_NUMBER_MAX_CHARS]}


def read_contact(kind: str, text: str) -> dict[str, str]:
    """A phone number (normalised) or an email address (validated); DomainError otherwise."""
    if kind == "email":
        return {"email": validate_email(text)}
    return {"phone": normalise_phone(text)}
