"""The Cloud API emulator refuses what the Cloud API refuses, with Graph's error shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from app.settings import Settings
from channels.whatsapp.graph import GraphClient, GraphError
from sandbox.whatsapp_api.emulator import CloudApiEmulator
from sandbox.whatsapp_api.limits import ApprovedTemplate

NOW = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
TO = "6281234567890"


@pytest_asyncio.fixture
async def api() -> AsyncIterator[CloudApiEmulator]:
    emulator = CloudApiEmulator(now=lambda: NOW, templates={
        ("loket_case_update", "id"): 3,
        ("loket_letter", "id"): ApprovedTemplate(2, "document", "Surat {{1}} untuk {{2}}."),
    })  # fmt: skip
    emulator.last_inbound[TO] = NOW - dt.timedelta(hours=1)
    await emulator.start()
    yield emulator
    await emulator.stop()


def client(api: CloudApiEmulator, settings: Settings, token: str | None = None) -> GraphClient:
    return GraphClient(
        settings.model_copy(
            update={
                "whatsapp_token": SecretStr(token or api.token),
                "whatsapp_phone_number_id": api.phone_number_id,
                "whatsapp_api_base_url": api.base_url,
            }
        )
    )


def buttons(*titles: str) -> dict[str, Any]:
    return {"to": TO, "type": "interactive", "interactive": {
        "type": "button", "body": {"text": "Pilih"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": t, "title": t}} for t in titles]},
    }}  # fmt: skip


def rows(n: int) -> dict[str, Any]:
    return {"to": TO, "type": "interactive", "interactive": {
        "type": "list", "body": {"text": "Pilih"},
        "action": {"button": "Menu", "sections": [
            {"title": "Layanan", "rows": [{"id": str(i), "title": f"Baris {i}"} for i in range(n)]}
        ]},
    }}  # fmt: skip


def template(params: int, name: str = "loket_case_update") -> dict[str, Any]:
    return {"to": TO, "type": "template", "template": {
        "name": name, "language": {"code": "id"},
        "components": [{"type": "body",
                        "parameters": [{"type": "text", "text": "x"}] * params}],
    }}  # fmt: skip


def with_header(message: dict[str, Any], media_id: str) -> dict[str, Any]:
    document = {"type": "document", "document": {"id": media_id, "filename": "surat.pdf"}}
    message["template"]["components"].insert(0, {"type": "header", "parameters": [document]})
    return message


def text_param(message: dict[str, Any], value: str) -> dict[str, Any]:
    message["template"]["components"][-1]["parameters"][0] = {"type": "text", "text": value}
    return message


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (buttons("Ya", "Tidak", "Nanti", "Batal"), 131009),
        (buttons("Judul tombol yang terlalu panjang"), 131009),
        (rows(11), 131009),
        ({"to": TO, "type": "text", "text": {"body": "x" * 4097}}, 100),
        (template(2), 132000),
        (template(3, name="unknown_template"), 132001),
        (with_header(template(3), "1"), 132012),  # this template has no header
        (template(2, name="loket_letter"), 132012),  # and this one needs its document
        (with_header(template(2, name="loket_letter"), "404"), 131053),  # never uploaded
        (text_param(template(3), "dua\nbaris"), 132018),
        (text_param(template(3), "banyak     spasi"), 132018),
        ({"to": TO, "type": "document", "document": {"id": "404"}}, 131053),
    ],
)
async def test_limits_are_refused_with_their_codes(
    api: CloudApiEmulator, settings: Settings, message: dict[str, Any], code: int
) -> None:
    graph = client(api, settings)
    try:
        with pytest.raises(GraphError) as refused:
            await graph.send(message)
    finally:
        await graph.close()
    assert (refused.value.code, refused.value.http_status) == (code, 400)
    assert api.sent == []


async def test_within_the_limits_everything_is_accepted(
    api: CloudApiEmulator, settings: Settings
) -> None:
    graph = client(api, settings)
    try:
        for message in (buttons("Ya", "Tidak", "Nanti"), rows(10), template(3),
                        {"to": TO, "type": "text", "text": {"body": "x" * 4096}}):  # fmt: skip
            assert (await graph.send(message)).startswith("wamid.")
    finally:
        await graph.close()
    assert len(api.sent) == 4


async def test_outside_the_window_only_a_template_goes(
    api: CloudApiEmulator, settings: Settings
) -> None:
    api.last_inbound[TO] = NOW - dt.timedelta(hours=24, seconds=1)
    graph = client(api, settings)
    try:
        with pytest.raises(GraphError) as refused:
            await graph.send({"to": TO, "type": "text", "text": {"body": "Halo"}})
        await graph.send(template(3))
    finally:
        await graph.close()
    assert refused.value.code == 131047
    assert [s.type for s in api.sent] == ["template"]


async def test_a_wrong_token_is_refused_with_401(api: CloudApiEmulator, settings: Settings) -> None:
    graph = client(api, settings, token="stolen")
    try:
        with pytest.raises(GraphError) as refused:
            await graph.phone_number()
    finally:
        await graph.close()
    assert (refused.value.code, refused.value.http_status) == (190, 401)


async def test_a_template_with_its_uploaded_document_is_read_filled_in(
    api: CloudApiEmulator, settings: Settings
) -> None:
    api.last_inbound.clear()  # outside the window
    graph = client(api, settings)
    try:
        media_id = await graph.upload(b"%PDF-1.4", "surat.pdf", "application/pdf")
        message = with_header(template(2, name="loket_letter"), media_id)
        message["template"]["components"][-1]["parameters"] = [
            {"type": "text", "text": "PPID"}, {"type": "text", "text": "PPID/2026/000001"}
        ]  # fmt: skip
        await graph.send(message)
    finally:
        await graph.close()
    (sent,) = api.sent
    assert sent.reads == "Surat PPID untuk PPID/2026/000001."
