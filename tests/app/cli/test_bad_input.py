"""Bad input at the command line, the way a newcomer types it: every `loket` command refuses
it with exit status 2 and one sentence in the configured language, never a traceback and never
a silent accept (issue #9, deliverable 7)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner, Result

from app.cli.main import app
from store.db import Database
from store.models import Case, Event, Officer, Unit

LOKET = str(Path(sys.executable).parent / "loket")
OUT = "{work}"  # replaced by the test's working folder
NOTES = "{notes}"  # replaced by a file beside it

# (command line, the one sentence it must answer in Indonesian). The world: unit `dinkes`,
# officer #1 Rina (PPID Utama, Telegram 111, rina@example.go.id).
CASES: list[tuple[tuple[str, ...], str]] = [
    # --- usage errors, for any command
    (("nonsense",), 'Perintah "nonsense" tidak ada di loket. Lihat: loket --help'),
    (("units", "lst"), 'Perintah "lst" tidak ada di loket units; maksud Anda list?'),
    (("units", "list", "extra"),
     "Argumen berlebih untuk loket units list: extra. Beri tanda kutip pada teks yang berisi "
     "spasi."),
    (("units",), "Tulis perintah sesudah loket units. Lihat daftarnya: loket units --help"),
    (("init", "now"),
     "Argumen berlebih untuk loket init: now. Beri tanda kutip pada teks yang berisi spasi."),
    (("telegram", "check", "--token", "x"),
     "Opsi --token tidak dikenal untuk loket telegram check. Lihat: loket telegram check --help"),
    (("units", "add"), "CODE wajib diisi untuk loket units add. Lihat: loket units add --help"),
    (("officers", "add", "Budi", "--rol", "admin"),
     "Opsi --rol tidak dikenal untuk loket officers add; maksud Anda --role?"),
    (("officers", "add", "Budi", "--role"),
     "Opsi --role perlu diisi nilainya, misalnya --role NILAI."),
    # --- units
    (("units", "add", "", ""),
     "Kode unit tidak boleh kosong: tulis kode singkat seperti dinkes."),
    (("units", "add", "pupr", "  "),
     'Nama unit tidak boleh kosong: tulis nama lengkapnya, misalnya "Dinas Kesehatan".'),
    (("units", "add", "din kes", "Dinas X"),
     'Kode unit "din kes" tidak valid: pakai huruf kecil, angka, - atau _ tanpa spasi (paling '
     "banyak 64), seperti dinkes."),
    (("units", "add", "dinkes", "Dinas Lain"), 'Unit dengan kode atau nama "dinkes" sudah ada.'),
    (("units", "add", "kes", "Dinas Kesehatan"),
     'Unit dengan kode atau nama "kes" sudah ada.'),
    (("units", "add", "pupr", "Dinas PUPR", "--email", "notanemail"),
     "Alamat email tidak valid. Contoh yang benar: nama@contoh.id"),
    (("units", "add", "pupr", "Dinas PUPR", "--telegram-chat", "abc"),
     "--telegram-chat harus berupa bilangan bulat: angka saja, tanpa huruf atau spasi."),
    (("units", "add", "pupr", "Dinas PUPR", "--telegram-chat", "0"),
     "ID chat Telegram 0 tidak valid: chat grup berupa angka negatif seperti -1001234567890."),
    (("units", "set-chat", "nope", "-100"),
     'Unit dengan kode "nope" tidak ada. Lihat daftar: loket units list'),
    (("units", "set-chat", "dinkes", "abc"),
     "CHAT_ID harus berupa bilangan bulat: angka saja, tanpa huruf atau spasi."),
    # --- officers
    (("officers", "add", "", "--role", "admin"), "Nama petugas tidak boleh kosong."),
    (("officers", "add", "Budi"),
     "Petugas harus punya setidaknya satu peran: tambahkan --role PERAN."),
    (("officers", "add", "Budi", "--role", "raja"),
     'Nilai "raja" untuk --role tidak dikenal. Pilih salah satu: admin, ppid_utama, '
     "ppid_pelaksana, atasan, unit_officer."),
    (("officers", "add", "Budi", "--role", "admin", "--email", "notanemail"),
     "Alamat email tidak valid. Contoh yang benar: nama@contoh.id"),
    (("officers", "add", "Budi", "--role", "admin", "--phone", "12"),
     "Nomor telepon tidak dikenali. Tulis seperti 0812 3456 7890 atau +62 812 3456 7890."),
    (("officers", "add", "Budi", "--role", "admin", "--telegram-id", "-5"),
     'ID Telegram "-5" tidak valid: tulis angka positif seperti 123456789 (tanyakan ke '
     "petugasnya lewat @userinfobot)."),
    (("officers", "add", "Budi", "--role", "admin", "--telegram-id", "@budi"),
     'ID Telegram "@budi" tidak valid: tulis angka positif seperti 123456789 (tanyakan ke '
     "petugasnya lewat @userinfobot)."),
    (("officers", "add", "Rina B", "--role", "atasan", "--telegram-id", "111"),
     "ID Telegram itu sudah milik petugas #1 Rina. Satu orang satu data petugas: ubah atau "
     "tambah perannya dengan loket officers edit 1 --add-role PERAN"),
    (("officers", "add", "Rina B", "--role", "atasan", "--email", "RINA@example.go.id"),
     "Alamat email itu sudah milik petugas #1 Rina. Satu orang satu data petugas: ubah atau "
     "tambah perannya dengan loket officers edit 1 --add-role PERAN"),
    (("officers", "add", "Budi", "--role", "unit_officer"),
     "Petugas dengan peran Petugas penghubung unit harus punya unit: tambahkan --unit KODE."),
    (("officers", "add", "Budi", "--role", "ppid_pelaksana", "--unit", "nope"),
     'Unit dengan kode "nope" tidak ada. Lihat daftar: loket units list'),
    (("officers", "edit", "99", "--name", "X"),
     "Petugas #99 tidak ada. Lihat daftar: loket officers list"),
    (("officers", "edit", "Nobody", "--name", "X"),
     'Tidak ada petugas bernama "Nobody". Lihat daftar: loket officers list'),
    (("officers", "edit", "Rina"),
     "Tidak ada yang diubah: sebutkan misalnya --email, --telegram-id atau --add-role. Lihat: "
     "loket officers edit --help"),
    (("officers", "edit", "1", "--remove-role", "ppid_utama"),
     "Petugas harus punya setidaknya satu peran: tambahkan --role PERAN."),
    (("officers", "edit", "1", "--add-role", "unit_officer"),
     "Petugas dengan peran Petugas penghubung unit harus punya unit: tambahkan --unit KODE."),
    (("officers", "edit", "1", "--name", " "), "Nama petugas tidak boleh kosong."),
    (("officers", "remove", "99"), "Petugas #99 tidak ada. Lihat daftar: loket officers list"),
    # --- cases
    (("cases", "new", "--kind", "foo", "--channel", "surat"),
     'Jenis "foo" tidak dapat dicatat di sini: pilih information_request atau complaint '
     "(keberatan diajukan atas permohonan)."),
    (("cases", "new", "--kind", "complaint", "--channel", "surat"),
     'Pengaduan perlu isi: tambahkan --description "apa yang terjadi, di mana, kapan".'),
    (("cases", "new", "--kind", "complaint", "--channel", "surat", "--description", "  "),
     'Pengaduan perlu isi: tambahkan --description "apa yang terjadi, di mana, kapan".'),
    (("cases", "new", "--kind", "complaint", "--channel", "fax", "--description", "x"),
     'Nilai "fax" untuk --channel tidak dikenal. Pilih salah satu: telegram, email, whatsapp, '
     "buku_tamu, surat, telepon, web."),
    (("cases", "new", "--kind", "complaint", "--channel", "surat", "--description", "x",
      "--email", "bad"),
     "Alamat email tidak valid. Contoh yang benar: nama@contoh.id"),
    (("cases", "new", "--kind", "complaint", "--channel", "surat", "--description", "x",
      "--received-at", "1999-01-01T09:00"),
     'Tanggal "1999-01-01T09:00" di luar jangkauan: tulis tanggal antara tahun 2000 dan 2099.'),
    (("cases", "new", "--kind", "complaint", "--channel", "surat", "--description", "x",
      "--unit", "nope"),
     'Unit dengan kode "nope" tidak ada. Lihat daftar: loket units list'),
    (("cases", "list", "--status", "foo"),
     'Status "foo" tidak dikenal. Pilih salah satu: answered, archived, closed, decided, '
     "disposed, disputed, done, extended, in_process, in_progress, incomplete, "
     "not_our_authority, on_hold, registered, unverified."),
    (("cases", "list", "--kind", "complaint", "--status", "registered"),
     'Status "registered" tidak dikenal. Pilih salah satu: archived, disposed, done, '
     "in_process, not_our_authority, on_hold, unverified."),
    (("cases", "list", "--kind", "foo"),
     'Nilai "foo" untuk --kind tidak dikenal. Pilih salah satu: information_request, '
     "complaint, objection."),
    (("cases", "show", "NOPE/2026/000001"), "Kasus NOPE/2026/000001 tidak ditemukan."),
    # --- calendar
    (("calendar", "explain", "--from", "2026-02-30"),
     'Tanggal "2026-02-30" tidak valid. Tulis seperti 2026-01-31.'),
    (("calendar", "explain", "--from", "1900-01-01"),
     'Tanggal "1900-01-01" di luar jangkauan: tulis tanggal antara tahun 2000 dan 2099.'),
    (("calendar", "explain", "--from", "2026-01-01", "--days", "-1"),
     "--days tidak boleh kurang dari 0."),
    (("calendar", "explain", "--from", "2026-01-01", "--days", "100000"),
     "--days tidak boleh lebih dari 260."),
    (("calendar", "close", "2026-01-07", ""),
     'Tulis alasan libur, misalnya "Cuti bersama daerah".'),
    (("calendar", "open", "3000-01-01"),
     'Tanggal "3000-01-01" di luar jangkauan: tulis tanggal antara tahun 2000 dan 2099.'),
    (("calendar", "reset", "kemarin"), 'Tanggal "kemarin" tidak valid. Tulis seperti 2026-01-31.'),
    # --- outbox and scheduler
    (("outbox", "retry", "99"), "Pesan keluar #99 tidak ada."),
    (("outbox", "retry", "abc"),
     "ROW_ID harus berupa bilangan bulat: angka saja, tanpa huruf atau spasi."),
    (("outbox", "list", "--limit", "0"), "--limit tidak boleh kurang dari 1."),
    (("scheduler", "preview", "--at", "kemarin"),
     'Waktu "kemarin" tidak valid. Tulis seperti 2026-01-31T09:30.'),
    # --- reports
    (("report", "annual", "--year", "20233"),
     "Tahun 20233 belum tiba (sekarang {year}): tulis tahun seperti {year}."),
    (("report", "annual", "--year", "1999"),
     "Tahun 1999 tidak mungkin: laporan layanan informasi publik baru ada sejak UU KIP, tahun "
     "2008."),
    (("report", "annual", "--year", "dua ribu"),
     "--year harus berupa bilangan bulat: angka saja, tanpa huruf atau spasi."),
    (("report", "annual", "--year", "2025", "--out", f"{OUT}/missing/x.txt"),
     f"Folder {OUT}/missing untuk {OUT}/missing/x.txt tidak ada: buat dulu folder itu atau "
     "pilih folder lain."),
    (("report", "annual", "--year", "2025", "--out", OUT),
     f"{OUT} adalah folder: tulis nama file, misalnya {OUT}/laporan.xlsx."),
    (("report", "annual", "--year", "2025", "--out", f"{NOTES}/laporan.txt"),
     f"{NOTES} adalah file, bukan folder: pilih folder untuk {NOTES}/laporan.txt."),
    (("report", "annual", "--year", "2025", "--format", "docx"),
     'Nilai "docx" untuk --format tidak dikenal. Pilih salah satu: text, csv, json, xlsx, html, '
     "pdf."),
    (("report", "complaints", "--from", "2026-01-31", "--to", "2026-01-01"),
     "Periode tidak valid: 2026-01-31 sesudah 2026-01-01."),
    (("report", "complaints", "--from", "31-01-2026", "--to", "2026-02-01"),
     'Tanggal "31-01-2026" tidak valid. Tulis seperti 2026-01-31.'),
    (("report", "register", "--year", "2025", "--reveal", "--out", f"{OUT}/nope/r.xlsx"),
     f"Folder {OUT}/nope untuk {OUT}/nope/r.xlsx tidak ada: buat dulu folder itu atau pilih "
     "folder lain."),
    (("report", "survey", "--year", "3000"),
     "Tahun 3000 belum tiba (sekarang {year}): tulis tahun seperti {year}."),
    # --- examples and mail
    (("example", "load", "nope"), 'Contoh "nope" tidak dikenal. Pilih: seed-001, seed-004.'),
    (("mail", "review", "--attach", "1"),
     "Sebutkan kasus tujuan dengan --to NOMOR, misalnya --to PPID/2026/000001."),
    (("mail", "review", "--dismiss", "99"), "Email #99 tidak ada dalam catatan."),
    (("mail", "add-mailbox", "x", "--kind", "objection"),
     "Kotak surat hanya dapat membuka permohonan informasi atau pengaduan, bukan objection."),
    (("mail", "list", "--disposition", "foo"),
     'Nilai "foo" untuk --disposition tidak dikenal. Pilih salah satu: new_case, appended, '
     "review, ignored."),
    (("mail", "list", "--limit", "0"), "--limit tidak boleh kurang dari 1."),
    # --- whatsapp
    (("whatsapp", "dead-letters", "--retry", "99"),
     "Tidak ada pesan WhatsApp gagal dengan nomor #99 (lihat: loket whatsapp dead-letters)."),
]  # fmt: skip


class Loket:
    """`loket(*args)` in-process on this test's database, from an empty folder (no .env)."""

    def __init__(self, db_url: str, folder: Path) -> None:
        self.env = {"DATABASE_URL": db_url, "ATTACHMENT_DIR": str(folder / "files")}
        self.runner = CliRunner()

    def __call__(self, *args: str, **env: str) -> Result:
        return self.runner.invoke(app, list(args), env={**self.env, **env})


def ok(result: Result) -> str:
    """The command's stdout, after checking it succeeded."""
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def refused(result: Result) -> str:
    """The one line on stderr of a refused command line: exit 2, nothing on stdout."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Loket:
    """A migrated store with unit `dinkes` and officer #1 Rina (PPID Utama, Telegram 111)."""
    (tmp_path / "work").mkdir()
    (tmp_path / "notes.txt").write_text("not a folder")
    monkeypatch.chdir(tmp_path / "work")
    loket = Loket(db_url, tmp_path)
    ok(loket("units", "add", "dinkes", "Dinas Kesehatan"))
    ok(loket("officers", "add", "Rina", "--role", "ppid_utama", "--telegram-id", "111",
             "--email", "rina@example.go.id"))  # fmt: skip
    return loket


def _state(db_url: str) -> tuple[int, ...]:
    """How many units, officers, cases and audit events there are: every change adds one."""

    async def go() -> tuple[int, ...]:
        db = Database.from_url(db_url)
        try:
            async with db.session() as session:
                return tuple(
                    [
                        (await session.exec(select(func.count()).select_from(table))).one()
                        for table in (Unit, Officer, Case, Event)
                    ]
                )
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.mark.parametrize(("args", "sentence"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_is_one_sentence_and_changes_nothing(
    world: Loket, db_url: str, backend: str, tmp_path: Path, args: tuple[str, ...], sentence: str
) -> None:
    work = tmp_path / "work"
    before = _state(db_url)
    notes, this_year = str(tmp_path / "notes.txt"), str(dt.date.today().year)
    args = tuple(a.replace(OUT, str(work)).replace(NOTES, notes) for a in args)
    expected = sentence.replace(OUT, str(work)).replace(NOTES, notes).replace("{year}", this_year)
    assert refused(world(*args)) == expected
    if backend == "sqlite":  # the language does not depend on the database
        assert refused(world(*args, LANGUAGE="en")) != expected
    assert _state(db_url) == before
    assert list(work.iterdir()) == []  # no report file, no stray database


def test_installed_command_refuses_in_one_line_without_configuration(tmp_path: Path) -> None:
    for args, line in (
        (["units", "add", "--bogus"],
         "Opsi --bogus tidak dikenal untuk loket units add. Lihat: loket units add --help"),
        (["report", "annual"],
         "--year wajib diisi untuk loket report annual. Lihat: loket report annual --help"),
    ):  # fmt: skip
        done = subprocess.run(
            [LOKET, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60,
            check=False, env={"PATH": "/usr/bin:/bin", "COLUMNS": "40"},
        )  # fmt: skip
        assert (done.returncode, done.stdout, done.stderr.strip()) == (2, "", line)


def test_an_unreadable_env_file_is_one_sentence(world: Loket, tmp_path: Path) -> None:
    (tmp_path / "work" / ".env").write_bytes(b"\xff\xfeLANGUAGE=en")
    assert refused(world("units", "list")) == (
        "Konfigurasi tidak valid — .env: not UTF-8 text; save it again as UTF-8"
    )


def test_duplicate_officer_is_refused_and_edit_adds_the_role(world: Loket) -> None:
    line = refused(world("officers", "add", "Rina", "--role", "atasan", "--telegram-id", "111"))
    assert "loket officers edit 1 --add-role" in line
    ok(world("officers", "edit", "1", "--add-role", "atasan"))
    [rina] = json.loads(ok(world("officers", "list", "--json")))
    assert rina["roles"] == ["ppid_utama", "atasan"]
