"""`loket officers add/edit/list/remove`: one person is one officer, whatever roles they hold."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner, Result

from app.cli.main import app
from bot.notify.recipients import role_recipients
from store.db import Database
from store.enums import Role
from store.models import Event


class Loket:
    """`loket(*args)` in-process on this test's database."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.runner = CliRunner()

    def __call__(self, *args: str, **env: str) -> Result:
        return self.runner.invoke(app, list(args), env={"DATABASE_URL": self.db_url, **env})

    def ok(self, *args: str, **env: str) -> str:
        """stdout of a command that must succeed."""
        result = self(*args, **env)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result.stdout

    def officers(self) -> list[dict[str, object]]:
        """`officers list --json`."""
        return list(json.loads(self.ok("officers", "list", "--json")))


@pytest.fixture
def loket(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Loket:
    """The CLI on a migrated store with unit `dinkes`."""
    monkeypatch.chdir(tmp_path)
    cli = Loket(db_url)
    cli.ok("units", "add", "dinkes", "Dinas Kesehatan")
    return cli


def _db(db_url: str, query):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        db = Database.from_url(db_url)
        try:
            async with db.session() as session:
                return await query(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_add_with_several_roles_and_human_labels(loket: Loket) -> None:
    out = loket.ok("officers", "add", "Andi", "--role", "atasan", "--role", "ppid_pelaksana",
                   "--unit", "dinkes", "--telegram-id", "222",
                   "--phone", "0812-3456-7890")  # fmt: skip
    assert out.strip() == "Petugas #1 Andi (PPID Pelaksana, Atasan PPID) ditambahkan."
    [andi] = loket.officers()
    assert (andi["role"], andi["extra_roles"], andi["roles"]) == (
        "ppid_pelaksana", ["atasan"], ["ppid_pelaksana", "atasan"]
    )  # fmt: skip
    assert andi["phone"] == "+6281234567890"
    table = loket.ok("officers", "list", COLUMNS="200")
    assert "PPID Pelaksana, Atasan PPID" in table and "ppid_pelaksana" not in table
    english = loket.ok("officers", "list", LANGUAGE="en", COLUMNS="200")
    assert "PPID Pelaksana (unit information officer), Atasan PPID (objections)" in english


def test_edit_adds_a_telegram_id_instead_of_a_duplicate_officer(loket: Loket) -> None:
    loket.ok("officers", "add", "Rina Wati", "--role", "ppid_utama", "--email", "rina@pemda.go.id")
    # Later Rina starts using Telegram: the same officer gets the id, nobody new is registered.
    refused = loket(
        "officers", "add", "Rina", "--role", "ppid_utama", "--email", "Rina@Pemda.go.id"
    )
    assert refused.exit_code == 2 and "loket officers edit 1" in refused.stderr
    out = loket.ok("officers", "edit", "rina  wati", "--telegram-id", "333", "--add-role", "atasan")
    assert out.strip() == "Petugas #1 Rina Wati diubah: ID Telegram, peran."
    [rina] = loket.officers()
    assert (rina["telegram_user_id"], rina["roles"]) == (333, ["ppid_utama", "atasan"])
    assert loket.ok("officers", "edit", "1", "--telegram-id", "333").strip() == (
        "Data petugas #1 Rina Wati sudah seperti itu; tidak ada yang diubah."
    )
    loket.ok("officers", "edit", "#1", "--remove-role", "atasan", "--email", "-", "--name", "Rina")
    [rina] = loket.officers()
    assert (rina["name"], rina["email"], rina["roles"]) == ("Rina", None, ["ppid_utama"])
    events = _db(loket.db_url, lambda s: _events(s, "officer_edited"))
    assert [e.data["fields"] for e in events] == [
        ["telegram_user_id", "roles"], [], ["name", "email", "roles"]
    ]  # fmt: skip


async def _events(session, action: str) -> list[Event]:  # type: ignore[no-untyped-def]
    stmt = select(Event).where(Event.action == action).order_by(col(Event.id))
    return list((await session.exec(stmt)).all())


def test_edit_refuses_a_telegram_id_of_another_officer_and_shared_names(loket: Loket) -> None:
    loket.ok("officers", "add", "Budi", "--role", "admin", "--telegram-id", "111")
    loket.ok("officers", "add", "Budi", "--role", "ppid_pelaksana", "--unit", "dinkes")
    taken = loket("officers", "edit", "2", "--telegram-id", "111")
    assert (taken.exit_code, taken.stderr.strip()) == (
        2, "ID Telegram itu sudah milik petugas lain, #1 Budi."
    )  # fmt: skip
    shared = loket("officers", "edit", "Budi", "--phone", "081234567890")
    assert shared.stderr.strip() == (
        'Ada beberapa petugas bernama "Budi" (#1, #2): sebutkan nomornya.'
    )
    assert [o["telegram_user_id"] for o in loket.officers()] == [111, None]


def test_deactivate_and_reactivate(loket: Loket) -> None:
    loket.ok("officers", "add", "Sari", "--role", "admin", "--telegram-id", "444")
    loket.ok("officers", "remove", "Sari")
    assert loket.officers() == []
    # The Telegram id was freed; reactivating gives it back explicitly.
    loket.ok("officers", "edit", "Sari", "--active", "--telegram-id", "444")
    [sari] = loket.officers()
    assert (sari["active"], sari["telegram_user_id"]) == (True, 444)


def test_recipients_by_role_include_officers_holding_it_among_others(loket: Loket) -> None:
    loket.ok("officers", "add", "Andi", "--role", "ppid_pelaksana", "--role", "atasan",
             "--unit", "dinkes", "--telegram-id", "222")  # fmt: skip
    loket.ok("officers", "add", "Rina", "--role", "ppid_utama", "--telegram-id", "111")
    atasan = _db(loket.db_url, lambda s: role_recipients(s, (Role.ATASAN,)))
    assert [r.address for r in atasan] == ["222"]
    desk = _db(loket.db_url, lambda s: role_recipients(s, (Role.PPID_UTAMA, Role.ATASAN)))
    assert [r.address for r in desk] == ["222", "111"]


def test_identities_on_any_channel(loket: Loket) -> None:
    out = loket.ok("officers", "add", "Rina", "--role", "ppid_utama", "--telegram-id", "111",
                   "--identity", "whatsapp:0812-3456-7890", "--identity", "web:rina")  # fmt: skip
    assert out.strip() == "Petugas #1 Rina (PPID Utama) ditambahkan."
    [rina] = loket.officers()
    assert rina["identities"] == ["telegram:111", "whatsapp:6281234567890", "web:rina"]
    assert rina["telegram_user_id"] == 111
    table = loket.ok("officers", "list", COLUMNS="200")
    assert "Identitas" in table and "whatsapp:6281234567890" in table
    # One person, one officer: the same number cannot make a second one.
    taken = loket("officers", "add", "Rina W", "--role", "admin", "--identity",
                  "whatsapp:+62 812 3456 7890")  # fmt: skip
    assert (taken.exit_code, taken.stderr.strip()) == (2, (
        "Nomor WhatsApp itu sudah milik petugas #1 Rina. Satu orang satu data petugas: ubah "
        "atau tambah perannya dengan loket officers edit 1 --add-role PERAN"
    ))  # fmt: skip
    out = loket.ok("officers", "edit", "Rina", "--identity", "whatsapp:-", "--identity",
                   "email:Rina@Pemda.go.id")  # fmt: skip
    assert out.strip() == "Petugas #1 Rina diubah: nomor WhatsApp, identitas email."
    [rina] = loket.officers()
    assert rina["identities"] == ["telegram:111", "web:rina", "email:rina@pemda.go.id"]
    events = _db(loket.db_url, lambda s: _events(s, "officer_edited"))
    assert [e.data["fields"] for e in events] == [["identity_whatsapp", "identity_email"]]
    # Deactivating frees every identity: the person may be registered again later.
    loket.ok("officers", "remove", "Rina")
    loket.ok("officers", "add", "Rina", "--role", "admin", "--identity", "web:rina")
    assert [o["identities"] for o in loket.officers()] == [["web:rina"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--identity", "surat:1"),
            'Saluran "surat" tidak bisa menjadi identitas petugas. Pilih salah satu: telegram, '
            "whatsapp, email, web.",
        ),
        (
            ("--identity", "whatsapp"),
            'Identitas "whatsapp" tidak dikenali: tulis SALURAN:ID, misalnya '
            "whatsapp:081234567890 (atau whatsapp:- untuk menghapus).",
        ),
        (
            ("--identity", "whatsapp:12"),
            "Nomor telepon tidak dikenali. Tulis seperti 0812 3456 7890 atau +62 812 3456 7890.",
        ),
        (
            ("--identity", "telegram:-5"),
            'ID Telegram "-5" tidak valid: tulis angka positif seperti 123456789 (tanyakan ke '
            "petugasnya lewat @userinfobot).",
        ),
        (
            ("--telegram-id", "111", "--identity", "telegram:222"),
            "Dua identitas berbeda untuk saluran telegram: seorang petugas punya satu identitas "
            "per saluran.",
        ),
    ],
)
def test_a_bad_identity_is_one_sentence_and_changes_nothing(
    loket: Loket, args: tuple[str, ...], message: str
) -> None:
    refused = loket("officers", "add", "Budi", "--role", "admin", *args)
    assert (refused.exit_code, refused.stderr.strip()) == (2, message)
    assert loket.officers() == []
