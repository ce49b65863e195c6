"""The `loket` command line against a real database (SQLite and PostgreSQL).

Commands run in-process through Typer's CliRunner; a few run as real subprocesses to prove the
installed console script, the exit status and that no traceback ever reaches the user.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from alembic.script import ScriptDirectory
from sqlmodel import col, select
from typer.testing import CliRunner, Result

from app.cli.main import app
from store.db import Database
from store.migrate import alembic_config
from store.models import Event
from tests.support.postgres import PostgresServer, create_database

LOKET = str(Path(sys.executable).parent / "loket")
NIK = "3171014501900001"
PHONE_FORMS = ("+6281234567890", "081234567890", "6281234567890", "0812-3456-7890")


class Loket:
    """`loket(*args, KEY=value)` runs the command with these settings in the environment."""

    def __init__(self, **env: str) -> None:
        self.env = env
        self.runner = CliRunner()

    @property
    def db_url(self) -> str:
        """The database the commands run against."""
        return self.env["DATABASE_URL"]

    def __call__(self, *args: str, **extra_env: str) -> Result:
        return self.runner.invoke(app, list(args), env={**self.env, **extra_env})


@pytest.fixture
def loket(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Loket:
    """`loket ...` on this test's migrated database, from an empty working directory."""
    monkeypatch.chdir(tmp_path)
    return Loket(DATABASE_URL=db_url, ATTACHMENT_DIR=str(tmp_path / "files"))


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody has run `loket init` on."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"fresh_{abs(hash(request.node.nodeid)) % 10**8}"
    create_database(server, name)
    return server.url(name)


@pytest.fixture
def fresh_loket(empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Loket:
    """`loket ...` on an empty database."""
    monkeypatch.chdir(tmp_path)
    return Loket(DATABASE_URL=empty_db_url)


def ok(result: Result) -> str:
    """The command's stdout, after checking it succeeded."""
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def refused(result: Result, code: int = 1) -> str:
    """The one error line on stderr, after checking the exit status and that it is one line."""
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _events(db_url: str, action: str) -> list[Event]:
    async def go() -> list[Event]:
        db = Database.from_url(db_url)
        try:
            async with db.session() as session:
                stmt = select(Event).where(Event.action == action).order_by(col(Event.id))
                return list((await session.exec(stmt)).all())
        finally:
            await db.dispose()

    return asyncio.run(go())


# --- help --------------------------------------------------------------------------------


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


def test_help_lists_every_subcommand_with_a_line_each() -> None:
    runner = CliRunner()
    root = typer.main.get_command(app)
    assert {"init", "units", "officers", "cases", "calendar"} <= set(root.commands)  # type: ignore[attr-defined]
    for path, command in _commands(root):
        parent_help = runner.invoke(app, [*path[:-1], "--help"], env={"COLUMNS": "200"})
        assert parent_help.exit_code == 0
        assert path[-1] in parent_help.stdout, path
        assert command.get_short_help_str(), f"{' '.join(path)} has no help line"


def test_installed_loket_command_shows_help(tmp_path: Path) -> None:
    done = subprocess.run(
        [LOKET, "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )
    assert done.returncode == 0
    for name in ("init", "units", "officers", "cases", "calendar"):
        assert name in done.stdout


# --- settings ----------------------------------------------------------------------------


def test_bad_setting_stops_the_real_command_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [LOKET, "cases", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "TIMEZONE": "Mars/Base", "COLUMNS": "40"},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Konfigurasi tidak valid — TIMEZONE: unknown time zone 'Mars/Base'")


@pytest.mark.parametrize(
    ("key", "value"),
    [("REQUEST_RESPONSE_DAYS", "abc"), ("EXTRA_CLOSED_DATES", "2025-13-01"), ("LANGUAGE", "jv")],
)
def test_bad_setting_names_the_key(loket: Loket, key: str, value: str) -> None:
    line = refused(loket("units", "list", **{key: value}), code=2)
    assert f"— {key}: " in line


# --- init and the database -----------------------------------------------------------------


def test_init_twice_is_harmless(fresh_loket: Loket) -> None:
    heads = ", ".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
    first = ok(fresh_loket("init"))
    assert first.strip() == f"Basis data siap (revisi: {heads})."
    assert ok(fresh_loket("init")) == first
    ok(fresh_loket("units", "add", "dinkes", "Dinas Kesehatan"))
    ok(fresh_loket("init"))
    assert "dinkes" in ok(fresh_loket("units", "list"))


@pytest.mark.parametrize(
    "args",
    [
        ("units", "list"),
        ("units", "add", "dinkes", "Dinas Kesehatan"),
        ("officers", "list"),
        ("cases", "list"),
        ("cases", "show", "PPID/2026/000001"),
        ("cases", "new", "--kind", "complaint", "--channel", "surat", "--description", "x"),
        ("calendar", "close", "2026-01-07", "Banjir"),
    ],
)
def test_commands_before_init_say_to_run_init(fresh_loket: Loket, args: tuple[str, ...]) -> None:
    assert refused(fresh_loket(*args)) == "Basis data belum disiapkan. Jalankan dulu: loket init"


def test_explain_works_before_init(fresh_loket: Loket) -> None:
    data = json.loads(ok(fresh_loket("calendar", "explain", "--from", "2025-03-27", "--json")))
    assert data["due"] == "2025-04-22"


def test_unreachable_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    loket = Loket(DATABASE_URL="postgresql://app@127.0.0.1:1/nothing")
    line = refused(loket("units", "list"))
    assert line.startswith("Basis data tidak dapat dihubungi (")
    missing_dir = Loket(DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert refused(missing_dir("units", "list")) == (
        f"Folder basis data {tmp_path}/no/such/dir tidak ada. Buat folder itu dulu atau ubah "
        "DATABASE_URL."
    )
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("hello, this is not SQLite " * 100)
    line = refused(Loket(DATABASE_URL=f"sqlite:///{not_a_database}")("units", "list"))
    assert line == "Kesalahan basis data: file is not a database"


# --- units and officers ----------------------------------------------------------------------


def test_units_add_and_list(loket: Loket) -> None:
    assert ok(loket("units", "add", "DinKes", "Dinas Kesehatan")).strip() == (
        "Unit dinkes (Dinas Kesehatan) ditambahkan."
    )
    ok(loket("units", "add", "pupr", "[bold]Dinas PUPR[/]", "--telegram-chat", "-1001"))
    listed = json.loads(ok(loket("units", "list", "--json")))
    assert [(u["code"], u["name"], u["telegram_chat_id"]) for u in listed] == [
        ("dinkes", "Dinas Kesehatan", None),
        ("pupr", "[bold]Dinas PUPR[/]", -1001),
    ]
    table = ok(loket("units", "list"))
    assert "[bold]Dinas PUPR[/]" in table and "Dinas Kesehatan" in table


def test_units_set_chat_and_english_output(loket: Loket) -> None:
    assert ok(loket("units", "add", "dinkes", "Dinas Kesehatan", LANGUAGE="en")).strip() == (
        "Unit dinkes (Dinas Kesehatan) added."
    )
    ok(loket("units", "set-chat", "dinkes", "-100200"))
    [unit] = json.loads(ok(loket("units", "list", "--json")))
    assert unit["telegram_chat_id"] == -100200
    assert refused(loket("units", "set-chat", "nope", "1"), code=2) == (
        'Unit dengan kode "nope" tidak ada. Lihat daftar: loket units list'
    )


def test_units_add_duplicate_is_refused(loket: Loket) -> None:
    ok(loket("units", "add", "dinkes", "Dinas Kesehatan"))
    assert refused(loket("units", "add", "dinkes", "Dinas Lain"), code=2) == (
        'Unit dengan kode atau nama "dinkes" sudah ada.'
    )
    refused(loket("units", "add", "kes", "Dinas Kesehatan"), code=2)
    assert len(json.loads(ok(loket("units", "list", "--json")))) == 1


def test_officers_add_list_remove(loket: Loket) -> None:
    ok(loket("units", "add", "dinkes", "Dinas Kesehatan"))
    assert ok(loket("officers", "add", "Rina", "--role", "ppid_utama", "--telegram-id", "111"))
    ok(loket("officers", "add", "Andi", "--role", "ppid_pelaksana", "--unit", "dinkes"))
    officers = json.loads(ok(loket("officers", "list", "--json")))
    assert [(o["name"], o["role"], o["unit"]) for o in officers] == [
        ("Rina", "ppid_utama", None),
        ("Andi", "ppid_pelaksana", "dinkes"),
    ]
    andi = officers[1]["id"]
    assert ok(loket("officers", "remove", str(andi))).strip() == (
        f"Petugas #{andi} Andi dinonaktifkan."
    )
    assert [o["name"] for o in json.loads(ok(loket("officers", "list", "--json")))] == ["Rina"]
    assert "Rina" in ok(loket("officers", "list"))
    assert refused(loket("officers", "remove", str(andi)), code=2) == (
        f"Petugas #{andi} Andi sudah tidak aktif. Aktifkan lagi dengan: loket officers edit "
        f"{andi} --active"
    )
    assert len(_events(loket.db_url, "officer_removed")) == 1


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("Andi", "--role", "unit_officer"),
         "Petugas dengan peran Petugas penghubung unit harus punya unit: tambahkan --unit KODE."),
        (("Andi", "--role", "ppid_pelaksana", "--unit", "nope"),
         'Unit dengan kode "nope" tidak ada. Lihat daftar: loket units list'),
        (("Budi", "--role", "admin", "--telegram-id", "111"),
         "ID Telegram itu sudah milik petugas #1 Rina. Satu orang satu data petugas: ubah atau "
         "tambah perannya dengan loket officers edit 1 --add-role PERAN"),
    ],
)  # fmt: skip
def test_officers_add_errors(loket: Loket, args: tuple[str, ...], line: str) -> None:
    ok(loket("officers", "add", "Rina", "--role", "ppid_utama", "--telegram-id", "111"))
    assert refused(loket("officers", "add", *args), code=2) == line


def test_officer_role_must_be_known(loket: Loket) -> None:
    result = loket("officers", "add", "Rina", "--role", "raja")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


# --- cases -----------------------------------------------------------------------------------

REQUEST_ARGS = (
    "--kind", "information_request", "--name", "Siti Aminah", "--nik", NIK,
    "--address", "Jl. Merdeka 1", "--information", "Laporan keuangan 2025",
    "--purpose", "Penelitian", "--obtain", "salinan_softcopy", "--delivery", "email",
)  # fmt: skip


def _new(loket: Loket, *args: str) -> str:
    out = ok(loket("cases", "new", *args)).strip().splitlines()[0]
    assert out.startswith("Terdaftar: ")
    return out.removeprefix("Terdaftar: ").split(",")[0]


@pytest.mark.parametrize("channel", ["buku_tamu", "surat", "telepon", "whatsapp"])
def test_cases_new_from_the_desk_channels(loket: Loket, channel: str) -> None:
    out = ok(
        loket("cases", "new", *REQUEST_ARGS, "--channel", channel, "--phone", "0812-3456-7890",
              "--received-at", "2026-01-05T09:00")
    )  # fmt: skip
    # Received Mon 2026-01-05: 06-09, 12-15, (16 Isra Mikraj), 19, 20 -> due 2026-01-20.
    assert out.strip() == "Terdaftar: PPID/2026/000001, jatuh tempo 2026-01-20."
    [case] = json.loads(ok(loket("cases", "list", "--json")))
    assert (case["reference"], case["channel"], case["status"], case["due_date"]) == (
        "PPID/2026/000001",
        channel,
        "registered",
        "2026-01-20",
    )
    assert case["received_at"] == "2026-01-05T02:00:00+00:00"


def test_cases_new_complaint_and_incomplete_request(loket: Loket) -> None:
    out = ok(
        loket("cases", "new", "--kind", "complaint", "--channel", "telepon", "--description",
              "Lampu jalan mati", "--classification", "pengaduan", "--anonymous",
              "--received-at", "2026-01-05T09:00")
    )  # fmt: skip
    assert out.strip() == "Terdaftar: ADU/2026/000001, jatuh tempo 2026-01-08."
    lines = ok(
        loket("cases", "new", "--kind", "information_request", "--channel", "surat",
              "--name", "Budi", "--information", "Data stunting")
    ).strip().splitlines()  # fmt: skip
    assert lines[1] == (
        "Masih perlu dilengkapi: NIK (16 angka) atau nomor SK badan hukum, Alamat, "
        "Nomor telepon atau email, Tujuan penggunaan informasi, Cara memperoleh informasi "
        "(melihat/membaca/mendengarkan/mencatat/salinan softcopy/salinan hardcopy), Cara "
        "mengirim informasi (ambil langsung/kurir/pos/faksimili/email)."
    )


def test_second_visit_with_the_same_phone_is_the_same_requester(loket: Loket) -> None:
    args = (*REQUEST_ARGS, "--channel", "buku_tamu", "--phone", "081234567890")
    first, second = _new(loket, *args), _new(loket, *args)
    rows = json.loads(ok(loket("cases", "list", "--json")))
    assert [(r["reference"], r["status"]) for r in rows] == [
        (first, "registered"),
        (second, "registered"),
    ]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--nik", "1234"), "NIK harus 16 angka, persis seperti di KTP."),
        (("--phone", "12"),
         "Nomor telepon tidak dikenali. Tulis seperti 0812 3456 7890 atau +62 812 3456 7890."),
        (("--unit", "nope"), 'Unit dengan kode "nope" tidak ada. Lihat daftar: loket units list'),
        (("--received-at", "kemarin"),
         'Waktu "kemarin" tidak valid. Tulis seperti 2026-01-31T09:30.'),
        (("--received-at", "2999-01-01T09:00"),
         'Waktu diterima "2999-01-01T09:00" ada di masa depan.'),
        (("--obtain", "telepati"),
         "Cara memperoleh informasi tidak dikenal. Pilih: melihat, membaca, mendengarkan, "
         "mencatat, salinan_softcopy, salinan_hardcopy."),
    ],
)  # fmt: skip
def test_cases_new_errors_are_one_sentence(loket: Loket, args: tuple[str, ...], line: str) -> None:
    result = loket("cases", "new", "--kind", "information_request", "--channel", "surat", *args)
    assert refused(result, code=2) == line
    assert json.loads(ok(loket("cases", "list", "--json"))) == []


def test_cases_new_refuses_objections_and_unknown_channels(loket: Loket) -> None:
    for args in (
        ("--kind", "objection", "--channel", "surat"),
        ("--kind", "complaint", "--channel", "fax"),
    ):
        result = loket("cases", "new", *args)
        assert result.exit_code == 2 and "Traceback" not in result.stdout + result.stderr


def test_cases_list_filters(loket: Loket) -> None:
    old = _new(loket, *REQUEST_ARGS, "--channel", "surat", "--phone", "081211110001",
               "--received-at", "2025-01-02T09:00")  # fmt: skip
    new = _new(loket, *REQUEST_ARGS, "--channel", "surat", "--phone", "081211110002")
    incomplete = _new(loket, "--kind", "information_request", "--channel", "surat")
    complaint = _new(loket, "--kind", "complaint", "--channel", "whatsapp", "--description", "x")

    def refs(*args: str) -> list[str]:
        return [r["reference"] for r in json.loads(ok(loket("cases", "list", "--json", *args)))]

    assert refs("--kind", "complaint") == [complaint]
    assert sorted(refs("--kind", "information_request")) == sorted([old, new, incomplete])
    assert refs("--status", "incomplete") == [incomplete]
    assert refs("--overdue") == [old]
    assert refs("--kind", "complaint", "--overdue") == []
    assert refs()[0] == old  # soonest due first
    table = ok(loket("cases", "list"))
    assert all(ref in table for ref in (old, new, incomplete, complaint))
    assert loket("cases", "list", "--kind", "nonsense").exit_code == 2


def _masked_case(loket: Loket) -> str:
    return _new(
        loket, *REQUEST_ARGS, "--channel", "whatsapp", "--phone", "0812-3456-7890",
        "--email", "siti.aminah@example.id",
        "--information", f"Salinan KTP {NIK} dan kontak 081234567890 [/bold]",
    )  # fmt: skip


def _no_personal_data(text: str) -> None:
    assert NIK not in text
    assert "3171 0145 0190 0001" not in text
    for phone in PHONE_FORMS:
        assert phone not in text
    assert "34567890" not in text
    assert "siti.aminah@example.id" not in text
    assert "Jl. Merdeka" not in text


def test_cases_show_masks_personal_data(loket: Loket) -> None:
    ref = _masked_case(loket)
    text = ok(loket("cases", "show", ref))
    _no_personal_data(text)
    assert "3171********0001" in text and "+62812*****890" in text and "S. A." in text
    assert "[/bold]" in text  # what people typed is printed literally, never as markup
    data = json.loads(ok(loket("cases", "show", ref.lower(), "--json")))
    _no_personal_data(json.dumps(data))
    assert data["requester"]["nik"] == "3171********0001"
    assert data["reference"] == ref
    # Each look is audited (domain.md §7): the first show, then this one.
    assert [e["action"] for e in data["events"]] == ["registered", "case_viewed", "case_viewed"]
    assert _events(loket.db_url, "personal_data_revealed") == []
    viewed = _events(loket.db_url, "case_viewed")
    assert len(viewed) == 2 and viewed[0].actor.startswith("cli:")


def test_cases_show_reveal_is_audited(loket: Loket) -> None:
    ref = _masked_case(loket)
    data = json.loads(ok(loket("cases", "show", ref, "--json", "--reveal")))
    assert data["requester"]["nik"] == NIK
    assert {c["value"] for c in data["requester"]["contacts"]} == {
        "+6281234567890",
        "siti.aminah@example.id",
    }
    assert NIK in data["information_requested"]
    text = ok(loket("cases", "show", ref, "--reveal"))
    assert NIK in text
    revealed = _events(loket.db_url, "personal_data_revealed")
    assert len(revealed) == 2
    assert revealed[0].actor.startswith("cli:") and revealed[0].data == {"via": "cli cases show"}


def test_cases_show_unknown_reference(loket: Loket) -> None:
    assert refused(loket("cases", "show", "NOPE/2026/000001"), code=2) == (
        "Kasus NOPE/2026/000001 tidak ditemukan."
    )
    assert refused(loket("cases", "show", "NOPE/2026/000001", LANGUAGE="en"), code=2) == (
        "Case NOPE/2026/000001 was not found."
    )


# --- calendar --------------------------------------------------------------------------------


def test_calendar_explain(loket: Loket) -> None:
    data = json.loads(
        ok(loket("calendar", "explain", "--from", "2025-03-27", "--days", "10", "--json"))
    )
    assert data["due"] == "2025-04-22"
    assert {"date": "2025-03-29", "name": "Hari Suci Nyepi (Sabtu)"} in data["skipped"]
    text = ok(loket("calendar", "explain", "--from", "2025-03-27"))
    assert text.splitlines()[0] == (
        "10 hari kerja setelah 2025-03-27: jatuh tempo 2025-04-22. Hari yang dilewati:"
    )
    assert "  - 2025-03-29 (Sab): Hari Suci Nyepi (Sabtu)" in text.splitlines()
    english = ok(loket("calendar", "explain", "--from", "2025-03-27", LANGUAGE="en"))
    assert "  - 2025-03-29 (Sat): Day of Silence (Saturday)" in english.splitlines()


def test_calendar_close_open_reset_recompute_open_cases(loket: Loket) -> None:
    ref = _new(loket, *REQUEST_ARGS, "--channel", "surat", "--phone", "081211110003",
               "--received-at", "2026-01-05T09:00")  # fmt: skip

    def due() -> str:
        [row] = json.loads(ok(loket("cases", "list", "--json")))
        assert row["reference"] == ref
        return str(row["due_date"])

    assert due() == "2026-01-20"
    assert ok(loket("calendar", "close", "2026-01-07", "Banjir")).strip() == (
        "2026-01-07 ditetapkan libur. Jatuh tempo 1 kasus terbuka dihitung ulang."
    )
    assert due() == "2026-01-21"
    ok(loket("calendar", "open", "2026-01-16", "--name", "Tetap buka"))
    assert due() == "2026-01-20"  # one day closed, one holiday worked
    ok(loket("calendar", "reset", "2026-01-07"))
    assert due() == "2026-01-19"
    ok(loket("calendar", "reset", "2026-01-16"))
    assert due() == "2026-01-20"
    assert ok(loket("calendar", "recompute")).strip() == (
        "Jatuh tempo 0 kasus terbuka dihitung ulang dengan kalender saat ini."
    )
    ok(loket("calendar", "recompute", EXTRA_CLOSED_DATES="2026-01-06"))
    assert due() == "2026-01-21"
    db = loket.db_url
    assert [e.data["date"] for e in _events(db, "calendar_closed")] == ["2026-01-07"]
    assert _events(db, "due_date_recomputed")[0].data == {
        "old": "2026-01-20",
        "new": "2026-01-21",
    }
    shown = json.loads(ok(loket("cases", "show", ref, "--json")))
    assert [e["action"] for e in shown["events"]].count("due_date_recomputed") == 5


def test_calendar_bad_date_is_a_usage_error(loket: Loket) -> None:
    result = loket("calendar", "close", "2026-02-30", "Banjir")
    assert result.exit_code == 2
    assert 'Tanggal "2026-02-30" tidak valid' in result.stderr
    assert "Traceback" not in result.stderr
