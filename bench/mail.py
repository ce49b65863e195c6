"""Figure `mail`: `loket mail poll --once` over a backlog of N realistic mails in Dovecot, and
django-helpdesk's `get_email` over a copy of the same mailbox in the same run (the ratio).

A throwaway Dovecot (tests/support/dovecot.py) gets N mails, delivered into its Maildir as a
mail server's local delivery does (`--fill imap`: APPENDed over IMAP, an hour for 100 000):
new requests and complaints from distinct citizens (some with "Field: value" lines), a second
mail from some of them, mails with attachments (a PDF or a photo, 20-120 KB), automatic
replies, and the real-world corpus (../shared/corpora/emails, each with a fresh Message-ID).
Then the public command runs once as a subprocess, as an operator would run it after an
outage, and the figure is messages per second of its wall time.

The peer: django-helpdesk from a throwaway virtualenv (`--peer-venv`, made and filled with
`pip install django-helpdesk` when missing), a minimal Django project on SQLite with one
helpdesk Queue reading the copy folder over IMAP, `manage.py get_email` timed the same way.
`--no-peer` skips it; a peer that cannot be installed is reported in the JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bench.common import backend_of, bench_database, emit
from store.db import Database
from store.migrate import upgrade
from tests.support.dovecot import DovecotServer, dovecot_server
from tests.support.emails import corpus_files, make_email

MAIL_FROM = "ppid@pemda.test"
_MESSAGE_ID_RE = re.compile(rb"^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", re.I | re.M)
_TOPICS = (
    "realisasi anggaran 2025",
    "daftar penerima bantuan sosial",
    "izin mendirikan bangunan",
    "rencana tata ruang kecamatan",
    "laporan keuangan desa",
    "jadwal pelayanan KTP",
)


def _attachment(rng: random.Random, i: int) -> tuple[str, bytes]:
    size = rng.randint(20_000, 120_000)
    if rng.random() < 0.5:
        body = b"%PDF-1.4\n" + rng.randbytes(size) + b"\n%%EOF\n"
        return f"surat-kuasa-{i}.pdf", body
    return f"foto-{i}.jpg", b"\xff\xd8\xff\xe0" + rng.randbytes(size)


def _generated(i: int, rng: random.Random) -> bytes:
    """One mail a citizen (or a machine) writes, by the draw of `rng`."""
    person = i if rng.random() < 0.85 else rng.randrange(max(1, i))  # some write twice
    topic = rng.choice(_TOPICS)
    sender = f"Warga {person} <warga{person}@warga.test>"
    draw = rng.random()
    if draw < 0.05:
        return make_email(
            sender=f"Mailer <noreply{person}@dinas.test>",
            subject=f"Balasan otomatis: {topic}",
            body="Terima kasih, email Anda telah kami terima. Pesan ini dikirim otomatis.",
            message_id=f"<auto-{i}@dinas.test>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    body = f"Yth. PPID,\n\nSaya memohon salinan dokumen {topic}.\n"
    if draw < 0.45:
        body += (f"\nNama: Warga {person}\nAlamat: Jl. Merdeka No. {i % 200}, Bandung\n"
                 f"Tujuan: penelitian\nCara memperoleh: email\n")  # fmt: skip
    body += "\nTerima kasih.\nHormat saya,\nWarga"
    attachments = [_attachment(rng, i)] if draw > 0.8 else None
    subject = ("Pengaduan: " if draw > 0.7 else "Permohonan informasi: ") + topic
    return make_email(sender=sender, subject=subject, body=body,
                      message_id=f"<bench-{i}@warga.test>", attachments=attachments)  # fmt: skip


def realistic_mails(n: int, seed: int = 11) -> Iterator[bytes]:
    """N mails, made one at a time (the bench holds none of them: a list of 100 000 would
    be gigabytes): one in ten from the real-world corpus (fresh Message-ID), the rest
    generated."""
    rng = random.Random(seed)
    corpus = [p.read_bytes().replace(b"\r\n", b"\n") for p in corpus_files()]
    for i in range(n):
        if corpus and rng.random() < 0.1:
            raw = _MESSAGE_ID_RE.sub(b"", rng.choice(corpus), count=1)
            yield b"Message-ID: <corpus-%d@bench.test>\n" % i + raw
        else:
            yield _generated(i, rng)


def fill(server: DovecotServer, folders: list[str], mails: Iterable[bytes]) -> int:
    """APPEND every mail to every folder over one connection; return how many mails."""
    imap = server.client()
    count = 0
    try:
        for raw in mails:
            count += 1
            wire = re.sub(rb"\r?\n", b"\r\n", raw)
            for folder in folders:
                typ, answer = imap.append(folder, "", None, wire)
                if typ != "OK":
                    raise SystemExit(f"APPEND failed: {answer!r}")
        return count
    finally:
        imap.logout()


def deliver(server: DovecotServer, folders: list[str], mails: Iterable[bytes]) -> int:
    """Deliver every mail into every folder as a mail server's local delivery does: a file
    in the folder's Maildir `new/` (written in `tmp/`, then renamed), then one SELECT so
    that Dovecot has indexed them all before any poll is timed; return how many mails."""
    base = server.root / "mail" / server.user / "Maildir"
    owner = server.mail_owner()
    count = 0
    for raw in mails:
        count += 1
        name = f"{int(time.time())}.M{count}P{os.getpid()}.bench,S={len(raw)}"
        for folder in folders:
            where = base / f".{folder}"
            (where / "tmp" / name).write_bytes(raw)
            if owner is not None:
                os.chown(where / "tmp" / name, *owner)
            os.rename(where / "tmp" / name, where / "new" / name)
    for folder in folders:
        if server.count(folder) != count:
            raise SystemExit(f"Dovecot sees {server.count(folder)} mails in {folder}, not {count}")
    return count


def _timed(
    command: list[str], env: dict[str, str], cwd: Path, timeout: float
) -> tuple[float, float, str, tuple[float, float]]:
    """Run `command`; (seconds, peak RSS MB of it, its output, CPU seconds of its own process
    (sampled from /proc every 0.1 s, the last tenth of a second missing) and of it with every
    child it waited for, its reader workers included), exit on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    own = 0.0
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                text=True)  # fmt: skip
        while proc.poll() is None:
            own = max(own, _cpu_of(proc.pid))
            if time.perf_counter() - started > timeout:
                proc.kill()
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"{command[1:3]} failed ({proc.returncode}): {output[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = max(before.ru_maxrss, after.ru_maxrss)
    total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, round(peak / 1024, 1), output, (round(own, 2), round(total, 2))


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` so far, 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _migrate(url: str) -> None:
    db = Database.from_url(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


def poll_loket(
    server: DovecotServer, folder: str, url: str, work: Path, timeout: float
) -> tuple[float, float, str, tuple[float, float]]:
    """`loket mail poll --once` on `folder`: (seconds, peak RSS MB, its summary line, CPU
    seconds of the poll process and of it with its reader workers)."""
    asyncio.run(_migrate(url))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ATTACHMENT_DIR": str(work / "attachments"),
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": str(server.port),
        "IMAP_SECURITY": "none",
        "IMAP_USER": server.user,
        "IMAP_PASSWORD": server.password,
        "IMAP_FOLDER": folder,
        "MAIL_FROM": MAIL_FROM,
        "REPLY_SECRET": "bench-secret",
        "LOG_LEVEL": "WARNING",
    }
    loket = str(Path(sys.executable).parent / "loket")
    if (profile := os.environ.get("BENCH_PROFILE", "")).endswith(".prof"):  # cProfile's stats
        command = [sys.executable, "-m", "cProfile", "-o", profile, loket, "mail", "poll", "--once"]
    elif profile.endswith(".raw"):  # py-spy's samples of every thread, idle ones too
        spy = str(Path(sys.executable).parent / "py-spy")  # `pip install py-spy`
        command = [spy, "record", "--idle", "--threads", "-r", "250", "-f", "raw", "-o", profile,
                   "--", loket, "mail", "poll", "--once"]  # fmt: skip
    elif profile:  # pyinstrument's profile of the poll
        renderer = "html" if profile.endswith(".html") else "text"
        pyinstrument = str(Path(sys.executable).parent / "pyinstrument")
        command = [pyinstrument, "-r", renderer, "-o", profile, loket, "mail", "poll", "--once"]
    else:
        command = [loket, "mail", "poll", "--once"]
    seconds, peak, output, cpu = _timed(command, env, work, timeout)
    return seconds, peak, output.strip().splitlines()[-1] if output.strip() else "", cpu


PEER_SETTINGS = """\
SECRET_KEY = "bench"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
SITE_ID = 1
ROOT_URLCONF = "urls"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "{db}"}}}}
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.sites", "django.contrib.messages",
    "django.contrib.staticfiles", "django.contrib.humanize", "rest_framework", "helpdesk",
]
HELPDESK_TEAMS_MODE_ENABLED = False
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
              "APP_DIRS": True, "OPTIONS": {{"context_processors": [
    "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages"]}}}}]
STATIC_URL = "/static/"
MEDIA_ROOT = "{media}"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "{mail_from}"
HELPDESK_EMAIL_SUBJECT_TEMPLATE = "{{{{ ticket.ticket }}}} {{{{ ticket.title|safe }}}}"
LOGGING = {{"version": 1, "disable_existing_loggers": True}}
"""

PEER_QUEUE = """\
import datetime
from django.utils import timezone
from helpdesk.models import Queue
Queue.objects.create(
    title="PPID", slug="ppid", email_address="{mail_from}", allow_email_submission=True,
    email_box_type="imap", email_box_host="127.0.0.1", email_box_port={port},
    email_box_ssl=False, email_box_user="{user}", email_box_pass="{password}",
    email_box_imap_folder="{folder}", email_box_interval=0,
    email_box_last_check=timezone.now() - datetime.timedelta(days=1),
)
"""


def peer_python(venv: Path) -> Path:
    """The virtualenv's python with django-helpdesk installed (made once; raises on failure)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import helpdesk"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "django-helpdesk"],
                       check=True, capture_output=True)  # fmt: skip
    return python


def poll_peer(
    server: DovecotServer, folder: str, venv: Path, work: Path, timeout: float
) -> tuple[float, float, str]:
    """django-helpdesk's `get_email` on `folder`: (seconds, peak RSS MB, tickets made)."""
    python = peer_python(venv)
    project = work / "peer"
    project.mkdir()
    (project / "settings.py").write_text(PEER_SETTINGS.format(
        db=project / "helpdesk.db", media=project / "media", mail_from=MAIL_FROM))  # fmt: skip
    (project / "urls.py").write_text(
        "from django.urls import include, path\n"
        "urlpatterns = [path('helpdesk/', include('helpdesk.urls', namespace='helpdesk'))]\n"
    )
    (project / "manage.py").write_text(
        textwrap.dedent("""\
        import os, sys
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
        from django.core.management import execute_from_command_line
        execute_from_command_line(sys.argv)
    """)
    )
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("VIRTUAL_ENV", None)
    manage = [str(python), str(project / "manage.py")]
    _timed([*manage, "migrate", "-v", "0"], env, project, timeout)
    queue = PEER_QUEUE.format(port=server.port, user=server.user, password=server.password,
                              folder=folder, mail_from=MAIL_FROM)  # fmt: skip
    _timed([*manage, "shell", "-c", queue], env, project, timeout)
    seconds, peak, _, _cpu = _timed([*manage, "get_email"], env, project, timeout)
    count = "from helpdesk.models import Ticket; print(Ticket.objects.count())"
    _s, _p, tickets, _c = _timed([*manage, "shell", "-c", count], env, project, timeout)
    return seconds, peak, tickets.strip().splitlines()[-1] if tickets.strip() else "?"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The mail figure's own options."""
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per poll")
    parser.add_argument("--no-peer", action="store_true", help="skip django-helpdesk")
    parser.add_argument("--fill", choices=("maildir", "imap"), default="maildir",
                        help="deliver into the Maildir (fast) or APPEND over IMAP")  # fmt: skip
    parser.add_argument(
        "--peer-venv", type=Path, default=Path(tempfile.gettempdir()) / "loket-bench-helpdesk-venv"
    )


def run(args: argparse.Namespace) -> None:
    """Fill, poll with Loket, poll with the peer, print the figure."""
    mails = realistic_mails(args.n)
    with (
        tempfile.TemporaryDirectory(prefix="loket-bench-mail-") as tmp,
        dovecot_server() as server,
        bench_database(args.database_url, args.backend) as url,
    ):
        work = Path(tmp)
        ours, theirs = server.new_folder("loket"), server.new_folder("peer")
        started = time.perf_counter()
        filling = deliver if args.fill == "maildir" else fill
        filled = filling(server, [ours] if args.no_peer else [ours, theirs], mails)
        print(f"# filled {filled} mails in {time.perf_counter() - started:.1f} s", flush=True)
        seconds, peak, summary, (own, total) = poll_loket(server, ours, url, work, args.timeout)
        print(f"# loket: {summary}", flush=True)
        values: dict[str, Any] = {"rate": round(args.n / seconds, 1), "seconds": round(seconds, 2),
                                  "peak_rss_mb": peak, "load": os.getloadavg()[0],
                                  "poll_cpu_ms_per_mail": round(1000 * own / args.n, 2),
                                  "cpu_ms_per_mail_with_readers": round(1000 * total / args.n, 2),
                                  }  # fmt: skip
        human = (f"{values['rate']} msg/s ({seconds:.1f} s), peak {peak} MB, CPU a mail "
                 f"{values['poll_cpu_ms_per_mail']} ms in the poll "
                 f"({values['cpu_ms_per_mail_with_readers']} ms with its readers)")  # fmt: skip
        if not args.no_peer:
            try:
                peer_s, peer_peak, tickets = poll_peer(server, theirs, args.peer_venv, work,
                                                       args.timeout)  # fmt: skip
            except (subprocess.CalledProcessError, SystemExit, OSError) as exc:
                values["peer_error"] = str(exc)[-500:]
                human += f"; peer failed: {str(exc)[-200:]}"
            else:
                values |= {"peer_rate": round(args.n / peer_s, 1), "peer_seconds": round(peer_s, 2),
                           "peer_peak_rss_mb": peer_peak, "peer_tickets": tickets,
                           "ratio": round(peer_s / seconds, 2)}  # fmt: skip
                human += (f"; django-helpdesk get_email {values['peer_rate']} msg/s "
                          f"({peer_s:.1f} s, {tickets} tickets): {values['ratio']}x")  # fmt: skip
        emit("mail", args.n, backend_of(url), human, **values)
