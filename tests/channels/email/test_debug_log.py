"""`loket mail poll --once` at LOG_LEVEL=DEBUG against the real Dovecot: aioimaplib's protocol
lines are logged, but not the mailbox password, nor the citizen's address, NIK, phone or email
that the fetched message carries."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from bot.services import Services
from store.models import Message
from tests.channels.email.conftest import loket_env, run_loket
from tests.support.dovecot import DovecotServer
from tests.support.emails import INDONESIAN_REQUESTS


async def test_a_debug_poll_logs_protocol_lines_but_no_password_or_personal_data(
    mail_services: Services, dovecot: DovecotServer, folder: str, tmp_path: Path
) -> None:
    dovecot.append(folder, INDONESIAN_REQUESTS["lengkap"])
    done = run_loket(loket_env(mail_services) | {"LOG_LEVEL": "DEBUG"}, tmp_path, "mail", "poll",
                     "--once")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    log = done.stderr
    async with mail_services.db.session() as session:
        [message] = (await session.exec(select(Message))).all()
    # The message with its personal data was fetched and stored ...
    for value in ("3171014501900001", "Jl. Merdeka No. 1", "0812-3456-7890"):
        assert value in message.text
    assert message.sender == "siti.aminah@warga.test"
    # ... while the log, at DEBUG, shows the IMAP conversation but none of it.
    assert " DEBUG aioimaplib" in log and "Sending : " in log and "Received : " in log
    plain = re.sub(r"(?<=\d)[\s.\-]{1,3}(?=\d)", "", log)
    for value in ("3171014501900001", "81234567890", "Jl. Merdeka", "siti.aminah@", "Aminah"):
        assert value not in plain, value
    assert dovecot.password not in log
