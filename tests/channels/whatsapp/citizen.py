"""A WhatsApp citizen in the tests: reads the bot's last message and answers only what its
buttons and lists offer (or types an answer), through the Cloud API emulator."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from sandbox.whatsapp_api.emulator import Sent
from tests.channels.whatsapp.conftest import WhatsAppHarness

WA_ID = "6281234567890"


def options(sent: Sent) -> dict[str, str]:
    """The reply ids and titles an interactive message offers."""
    assert sent.type == "interactive", sent.body
    interactive = sent.body["interactive"]
    if interactive["type"] == "button":
        return {b["reply"]["id"]: b["reply"]["title"] for b in interactive["action"]["buttons"]}
    rows = [r for s in interactive["action"]["sections"] for r in s["rows"]]
    return {r["id"]: r["title"] for r in rows}


class Person:
    """A WhatsApp citizen who reads the bot's last message and answers it."""

    def __init__(self, wa: WhatsAppHarness, wa_id: str = WA_ID) -> None:
        self.wa, self.citizen = wa, wa.api.citizen(wa_id, name="Siti")
        self.wa_id, self.seen = wa_id, 0

    def new(self) -> list[Sent]:
        """What the bot sent since the last look."""
        sent = self.wa.api.sent_to(self.wa_id)
        fresh, self.seen = sent[self.seen :], len(sent)
        return fresh

    async def _settle(self, status: int) -> Sent:
        assert status == 200
        await self.wa.handled()
        fresh = self.new()
        assert fresh, "the bot did not answer"
        self.last = fresh
        return fresh[-1]

    async def type(self, text: str) -> Sent:
        """Write a text; the bot's last answer."""
        return await self._settle(await self.citizen.text(text))

    async def tap(self, question: Sent, wanted: str) -> Sent:
        """Tap the offered option whose id or title is (or ends with) `wanted`."""
        offered = options(question)
        matches = [i for i, title in offered.items() if wanted in (i, title) or i.endswith(wanted)]
        assert len(matches) == 1, (wanted, offered)
        kind = "button_reply" if question.body["interactive"]["type"] == "button" else "list_reply"
        return await self._settle(
            await self.citizen.tap(matches[0], offered[matches[0]], kind=kind)
        )

    async def send(self, status_of_send: Any) -> Sent:
        """Anything else the citizen sent (location, photo); the bot's last answer."""
        return await self._settle(await status_of_send)


def texts(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


async def file_request(siti: Person) -> Sent:
    """Fill in the whole information request form from the menu and send it; the bot's last
    answer (the registration number)."""
    menu = await siti.type("Halo")
    q = await siti.tap(menu, "m:request")
    for answer, next_field in (
        ("Siti Aminah", "identity"),
        ("3171014501900001", "address"),
        ("Jl. Merdeka No. 10, Gambir, Jakarta Pusat", "contact"),
        ("0812 3456 7890", "information_requested"),
        ("Salinan laporan keuangan dinas tahun 2025", "purpose"),
        ("Bahan penelitian skripsi", "obtain_method"),
    ):
        q = await siti.type(answer)
        assert t(f"form.ask.{next_field}", "id") in q.text, q.text
    q = await siti.tap(q, ":salinan_softcopy")
    q = await siti.tap(q, ":email")
    summary = await siti.type("siti.aminah@example.com")
    return await siti.tap(summary, "ok")
