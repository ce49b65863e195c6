"""The callback data decoder: it reads back exactly what the bot builds and turns anything
else (old, forged, malformed, oversized) into StaleButton, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.telegram import keyboards
from channels.telegram.keyboards import StaleButton, decode

ARG = st.one_of(
    st.text(max_size=10),
    st.integers(min_value=-5, max_value=10**20).map(str),
    st.sampled_from(["0", "007", "+1", " 1", "1 ", "١", "claim", "granted_full", "done"]),
)
NEAR_VALID = st.builds(
    lambda prefix, args: ":".join([prefix, *args]),
    st.sampled_from(keyboards.PREFIXES),
    st.lists(ARG, max_size=4),
)


@given(st.one_of(st.text(max_size=120), NEAR_VALID))
def test_decoding_anything_gives_a_button_or_stale_and_is_canonical(value: str) -> None:
    try:
        button = decode(value)
    except StaleButton:
        return
    # Whatever is accepted is exactly what the bot itself would have written.
    assert keyboards.data(button.prefix, *button.args) == value


@pytest.mark.parametrize(
    "value", [None, "a:claim:007", "sv:1:01:4", "k:-3", "k:+3", "k:1e3", "k:" + "9" * 19]
)
def test_typical_forgeries_are_stale(value: str | None) -> None:
    with pytest.raises(StaleButton):
        decode(value)
