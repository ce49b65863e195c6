"""The terms of a grant as an officer types them in one message (any channel that asks).

One line per term, `key: value`, in Indonesian or English; a line without a known key is the
time to provide, which a written notice must state (UU KIP Pasal 22(7)). Terms not given keep
their defaults: the form and delivery the citizen asked for, and no fee.

    3 hari kerja
    bentuk: hardcopy
    kirim: pos
    biaya: Rp50.000
"""

from __future__ import annotations

import re

from bot.cases.fields import DELIVERY_METHODS
from bot.errors import DomainError

KEYS = {
    "waktu": "time_to_provide",
    "time": "time_to_provide",
    "bentuk": "information_form",
    "form": "information_form",
    "kirim": "delivery_method",
    "pengiriman": "delivery_method",
    "delivery": "delivery_method",
    "biaya": "fee_amount",
    "fee": "fee_amount",
}
FORMS = {
    "softcopy": "softcopy",
    "soft": "softcopy",
    "elektronik": "softcopy",
    "electronic": "softcopy",
    "hardcopy": "hardcopy",
    "hard": "hardcopy",
    "cetak": "hardcopy",
    "printed": "hardcopy",
}
_LINE = re.compile(r"^\s*([A-Za-z]+)\s*[:=]\s*(.*)$")


def _fee(value: str) -> str:
    digits = re.sub(r"(?i)^rp\.?|[\s.,]|-$", "", value.strip())
    if not digits.isdigit():
        raise DomainError("letters.terms_fee")
    return str(int(digits))


def _value(param: str, value: str) -> str:
    word = " ".join(value.split()).lower()
    if param == "information_form":
        if word not in FORMS:
            raise DomainError("letters.terms_form")
        return FORMS[word]
    if param == "delivery_method":
        method = word.replace(" ", "_")
        if method not in DELIVERY_METHODS:
            raise DomainError("fields.delivery_method_invalid", choices=", ".join(DELIVERY_METHODS))
        return method
    if param == "fee_amount":
        return _fee(value)
    return " ".join(value.split())


def parse_terms(text: str) -> dict[str, str]:
    """The decide parameters in `text`; DomainError when a value is not understood or the
    time to provide is missing."""
    params: dict[str, str] = {}
    free: list[str] = []
    for line in (text or "").splitlines():
        match = _LINE.match(line)
        param = KEYS.get(match.group(1).lower()) if match else None
        if match is None or param is None:
            if line.strip() and line.strip() != "-":
                free.append(line.strip())
            continue
        params[param] = _value(param, match.group(2))
    if free and "time_to_provide" not in params:
        params["time_to_provide"] = " ".join(" ".join(free).split())
    if not params.get("time_to_provide"):
        raise DomainError("letters.terms_need_time")
    return params
