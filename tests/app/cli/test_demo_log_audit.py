"""The DEBUG-log audit: the whole demo at LOG_LEVEL=DEBUG writes no personal data or secret.

`loket demo` runs in a real subprocess with every logger at DEBUG (python-telegram-bot's API
calls, httpx/httpcore traces, the SMTP sink, our own modules). The personal data are taken
from what the demo's citizens actually sent during that run (its transcript and the email it
ingests), so the audit cannot pass on a run that sent none; the log must contain none of it
in any notation, nor the bot token or the reply secret.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.demo.scenario import ANDI_MAIL, ANDI_REQUEST, request_email
from app.demo.world import START, TOKEN, demo_settings
from sandbox.whatsapp_api.emulator import CloudApiEmulator

NIK_RE = re.compile(r"(?<!\d)\d{16}(?!\d)")
PHONE_RE = re.compile(r"(?<![\d+])0[\d-]{9,15}\d")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ADDRESS_RE = re.compile(r"Jl\. [^,\n]+")
SEPARATORS_RE = re.compile(r"(?<=\d)[\s._,/()\-\u200b]{1,3}(?=\d)")
# The time a log line begins with (`2026-12-03 14:52:22,223 `): its digits joined would give
# any five-digit run (here 22223, a piece of a phone number), so it is not searched.
LOG_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.M)


def digits_joined(text: str) -> str:
    """`text` with the separators between digits removed: every notation of a number becomes
    its plain digits."""
    return SEPARATORS_RE.sub("", text)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    cwd = tmp_path_factory.mktemp("demo-debug")  # no .env here
    env = {k: v for k, v in os.environ.items() if k != "LOKET_CRASH_AT"}
    env |= {"LOG_LEVEL": "DEBUG", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-c", "from app.cli.main import main; main()", "demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def sent_by_citizens(transcript: str) -> str:
    """What the demo's citizens typed (the transcript's 👤 lines) and Andi's email body."""
    typed = "\n".join(
        line.split(": ", 1)[1]
        for line in transcript.splitlines()
        if line.startswith(("👤 Siti:", "👤 Dewi:")) and ": " in line
    )
    mail = message_from_bytes(request_email(), policy=policy.default)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return f"{typed}\n{mail['From']}\n{body.get_content()}"


def test_the_demo_at_debug_logs_no_personal_data_and_no_secret(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    assert demo_run.returncode == 0, demo_run.stderr[-3000:]
    log, transcript = demo_run.stderr, demo_run.stdout

    # The run really logged at DEBUG, through the libraries that carry payloads and URLs.
    assert " DEBUG telegram.ext.ExtBot: Calling Bot API endpoint `sendMessage`" in log
    # The Bot API's HTTP client (channels/telegram/http.py) names the host and the method only.
    assert " DEBUG channels.telegram.http: HTTP POST 127.0.0.1:" in log
    assert "/.../sendMessage: 200" in log
    assert " DEBUG mail.log: " in log  # the SMTP sink's protocol lines

    # The personal data the citizens sent in this run, and proof the system handled them.
    sent = sent_by_citizens(transcript)
    niks = set(NIK_RE.findall(sent))
    phones = {re.sub(r"\D", "", p) for p in PHONE_RE.findall(sent)}
    emails = {e.lower() for e in EMAIL_RE.findall(sent)}
    addresses = set(ADDRESS_RE.findall(sent))
    assert len(niks) == 2 and len(phones) == 1 and len(addresses) >= 2, sent
    assert {"siti@example.id", ANDI_MAIL} <= emails
    # Siti's NIK went to the bot and came back in her summary (sent through the Bot API);
    # Andi's email became a case and was acknowledged by mail.
    [siti_nik] = [n for n in niks if f"👤 Siti: {n}" in transcript]
    assert f"NIK {siti_nik}" in transcript.split(f"👤 Siti: {siti_nik}", 1)[1]
    assert ANDI_REQUEST in transcript and f"📧 → {ANDI_MAIL}" in transcript

    plain = digits_joined(LOG_TIME_RE.sub("", log).replace("\u200b", ""))
    for nik in niks:
        assert nik not in plain and nik[4:12] not in plain, nik
    for phone in phones:
        national = phone[1:]  # 0813… -> 813…; also catches +62 813… and 62813…
        assert national not in plain and national[3:-3] not in plain, phone
    lowered = log.lower()
    for email in emails:
        assert email not in lowered, email
        assert email.split("@")[0] + "@" not in lowered, email
    for address in addresses:
        assert address not in log, address
    for name in ("Siti Aminah", "Andi Wijaya"):
        assert name not in log, name

    # No secret of the demo's settings, whole or as the part after the bot id.
    settings = demo_settings(
        Path("/nonexistent"),
        SimpleNamespace(base_url="http://x", base_file_url="http://x"),  # type: ignore[arg-type]
        SimpleNamespace(port=25),  # type: ignore[arg-type]
        CloudApiEmulator(now=lambda: START),  # the demo uses the emulator's credentials
        desk_chat=-1,
    )
    secrets = [TOKEN, TOKEN.split(":", 1)[1], settings.reply_secret.get_secret_value()]
    optional = (settings.smtp_password, settings.imap_password)
    secrets += [s.get_secret_value() for s in optional if s]
    whatsapp = (settings.whatsapp_token, settings.whatsapp_app_secret)
    secrets += [s.get_secret_value() for s in (*whatsapp, settings.whatsapp_verify_token)]
    for secret in secrets:
        assert secret and secret not in log, secret
    # PTB writes its Bot API URL (the token in its path) once, masked; no call's URL is written.
    assert re.search(r"Set Bot API URL: http://127\.0\.0\.1:\d+/bot\*\*\*\n", log)
    assert "/bot***/" not in log


def test_a_log_lines_time_is_not_read_as_a_number_but_what_follows_it_is() -> None:
    line = "2026-12-03 14:52:22,223 INFO bot.x: sent to 0813-2222-3333\n"
    plain = digits_joined(LOG_TIME_RE.sub("", line))
    assert "22223" not in plain.split("sent to")[0]  # the time (22,223) is gone
    assert "81322223333" in plain  # the phone number is still found, in any notation
