"""The case field schema is declared once (bot.cases.fields): the core's validation, the
Telegram form and the email template all read it (issue #10)."""

from __future__ import annotations

import pytest

from bot.cases.fields import (
    COMPLAINT,
    FIELD,
    FIELDS,
    REQUEST,
    case_details,
    read_identity,
    required_fields,
)
from bot.errors import DomainError
from bot.intake.forms import COMPLAINT_FORM, REQUEST_FORM
from channels.email.forms import TEMPLATE_ROWS, parse_fields


def test_the_required_fields_of_a_request_in_form_order() -> None:
    assert required_fields(REQUEST) == (
        "name", "identity", "address", "contact", "information_requested", "purpose",
        "obtain_method", "delivery_method",
    )  # fmt: skip
    assert required_fields(COMPLAINT) == ()


def test_case_details_are_the_case_columns_not_the_requesters() -> None:
    assert case_details(REQUEST) == (
        "information_requested", "purpose", "obtain_method", "delivery_method", "acting_for",
    )  # fmt: skip
    assert "description" in case_details(COMPLAINT) and "name" not in case_details(COMPLAINT)


def test_the_telegram_forms_ask_the_schemas_fields() -> None:
    for form in (REQUEST_FORM, COMPLAINT_FORM):
        for f in form.fields:
            if f.kind == "files":
                continue  # files are the chat's own step, not a field of the case
            spec = FIELD[f.key]
            assert form.kind in spec.kinds, f.key
            assert (f.stores, f.min_len) == (spec.stores, spec.min_len), f.key
            if spec.kind == "choice":
                assert f.choices == spec.choices, f.key
    asked = [f.key for f in REQUEST_FORM.fields if f.guided is True]
    assert asked[: len(required_fields(REQUEST))] == list(required_fields(REQUEST))


def test_the_email_template_asks_the_required_fields_and_reads_the_schemas_choices() -> None:
    assert (
        tuple("phone" if name == "contact" else name for name in required_fields(REQUEST))
        == TEMPLATE_ROWS
    )
    parsed = parse_fields("Cara memperoleh: salinan hardcopy\nCara mengirim: merpati")
    assert parsed.values == {"obtain_method": "salinan_hardcopy"}
    [error] = parsed.errors
    assert error.key == FIELD["delivery_method"].invalid_key


def test_choice_and_identity_validation_are_the_schemas() -> None:
    with pytest.raises(DomainError) as refused:
        FIELD["classification"].check_choice("gosip")
    assert refused.value.key == "fields.classification_invalid"
    assert read_identity("3171 0145 0190 0001") == {"nik": "3171014501900001"}
    assert read_identity("AHU-0012345.AH.01.04") == {"entity_sk_number": "AHU-0012345.AH.01.04"}
    assert {f.name for f in FIELDS} >= set(required_fields(REQUEST))
