"""Raw mail as real clients and servers send it, byte for byte, with what Loket must make of it.

Header sets and body layouts follow published samples (Sisimai's set-of-emails, talon's and
Alaveteli's fixtures, the qmail-send and Postfix bounce templates, Exchange Online NDRs) with
the addresses replaced by test domains. Each sample says how it must be classified and, for mail
written by people, the new text, subject and attachment names parsing must yield.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

OUR_ID = "loket.ack.1@pemda.test"  # the Message-ID of the acknowledgement the replies answer


def wire(text: str, charset: str = "utf-8") -> bytes:
    """The bytes of `text` as they travel: CRLF line ends, encoded with `charset`."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode(charset)


@dataclass(frozen=True)
class Sample:
    """One raw mail and what must come of it ("" / () where the sample makes no claim)."""

    raw: bytes
    kind: str
    subject: str = ""
    text: str = ""
    attachments: tuple[str, ...] = ()
    no_reply: bool = False


_HUMAN_HEAD = """\
Date: Mon, 5 Jan 2026 10:12:33 +0700
Message-ID: <{mid}>
To: PPID Pemda <ppid@pemda.test>
"""

GMAIL_VACATION = Sample(
    wire(f"""\
Return-Path: <dewi.lestari@gmail.test>
Delivered-To: ppid@pemda.test
MIME-Version: 1.0
From: Dewi Lestari <dewi.lestari@gmail.test>
Date: Mon, 5 Jan 2026 09:01:02 +0700
Message-ID: <CAE7x9vQ1=vacation@mail.gmail.test>
In-Reply-To: <{OUR_ID}>
References: <{OUR_ID}>
Subject: Re: [PPID-2026-0001] Permohonan informasi diterima
To: PPID Pemda <ppid@pemda.test>
Auto-Submitted: auto-replied
Precedence: bulk
Content-Type: text/plain; charset="UTF-8"

Terima kasih atas email Anda. Saya sedang cuti sampai 12 Januari 2026.
"""),
    "auto_reply",
)

OUTLOOK_AUTO_REPLY_ID = Sample(
    wire(f"""\
From: Hendra Wijaya <hendra.wijaya@kantor.test>
To: PPID Pemda <ppid@pemda.test>
Subject: Balasan Otomatis: [PPID-2026-0001] Permohonan informasi diterima
Thread-Topic: [PPID-2026-0001] Permohonan informasi diterima
Thread-Index: AQHcfQx1mZ0bq2k3T0yQJ3c4dQb6Tg==
Date: Mon, 5 Jan 2026 02:01:05 +0000
Message-ID: <a1b2c3d4e5f6@SG2PR06MB1234.apcprd06.prod.outlook.test>
In-Reply-To: <{OUR_ID}>
Content-Language: id-ID
X-MS-Has-Attach:
X-MS-Exchange-Organization-SCL: -1
X-MS-TNEF-Correlator:
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: hendra.wijaya@kantor.test
Content-Type: multipart/alternative;
\tboundary="_000_a1b2c3d4e5f6SG2PR06MB1234apcprd06prodoutlook_"
MIME-Version: 1.0

--_000_a1b2c3d4e5f6SG2PR06MB1234apcprd06prodoutlook_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Saya sedang dinas luar hingga 9 Januari 2026. Untuk hal mendesak hubungi=20
sekretariat.

--_000_a1b2c3d4e5f6SG2PR06MB1234apcprd06prodoutlook_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Saya sedang dinas luar hingga 9 Januari 2026.</p></body></html>

--_000_a1b2c3d4e5f6SG2PR06MB1234apcprd06prodoutlook_--
"""),
    "auto_reply",
)

YAHOO_AUTO_RESPONSE = Sample(
    wire("""\
Date: Mon, 5 Jan 2026 02:03:11 +0000 (UTC)
From: Rudi Hartono <rudi_hartono@yahoo.test>
To: ppid@pemda.test
Message-ID: <1234567890.98765.1767578591000@mail.yahoo.test>
Subject: Auto Response
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit
X-Mailer: WebService/1.1.25001 YMailNorrin

Terima kasih, email Anda akan saya balas setelah tanggal 10.
"""),
    "auto_reply",
)


def zimbra_ooo(subject: str, auto_submitted: bool = True) -> Sample:
    """A Zimbra out-of-office reply from a government mailbox (its vacation headers optional,
    as when a Sieve rule or a forwarding gateway strips them)."""
    header = "Auto-Submitted: auto-replied (zimbra; vacation)\nPrecedence: bulk\n"
    return Sample(
        wire(f"""\
Return-Path: <kasubbag.umum@dinas.go.test>
Date: Mon, 5 Jan 2026 09:04:00 +0700 (WIB)
From: Kasubbag Umum <kasubbag.umum@dinas.go.test>
To: ppid@pemda.test
Message-ID: <1735.zimbra.ooo@mail.dinas.go.test>
In-Reply-To: <{OUR_ID}>
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit
X-Mailer: Zimbra 8.8.15_GA_4484 (zclient/8.8.15_GA_4484)
{header if auto_submitted else ""}
Yth. Bapak/Ibu, saya sedang cuti tahunan sampai 16 Januari 2026.
"""),
        "auto_reply",
    )


def postfix_dsn(action: str, status: str, subject: str, diagnostic: str) -> bytes:
    """A Postfix delivery report (RFC 3464) with an Indonesian human-readable part, about the
    acknowledgement OUR_ID sent to citizen@rusak.test."""
    return wire(f"""\
Return-Path: <>
Date: Mon, 5 Jan 2026 09:05:41 +0700 (WIB)
From: MAILER-DAEMON@mail.pemda.test (Sistem Surat)
Subject: {subject}
To: ppid@pemda.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4C1A52E0A1.1767578741/mail.pemda.test"
Content-Transfer-Encoding: 8bit
Message-Id: <20260105020541.7F1C352E0A2.{action}@mail.pemda.test>

This is a MIME-encapsulated message.

--4C1A52E0A1.1767578741/mail.pemda.test
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Ini adalah sistem surat di host mail.pemda.test.

Dengan menyesal kami beritahukan bahwa pesan Anda tidak dapat dikirim ke
satu atau lebih penerima. Pesan terlampir di bawah.

<citizen@rusak.test>: {diagnostic}

--4C1A52E0A1.1767578741/mail.pemda.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.pemda.test
X-Postfix-Queue-ID: 4C1A52E0A1
X-Postfix-Sender: rfc822; ppid@pemda.test
Arrival-Date: Mon,  5 Jan 2026 09:05:40 +0700 (WIB)

Final-Recipient: rfc822; citizen@rusak.test
Original-Recipient: rfc822;citizen@rusak.test
Action: {action}
Status: {status}
Remote-MTA: dns; mx.rusak.test
Diagnostic-Code: smtp; {diagnostic}

--4C1A52E0A1.1767578741/mail.pemda.test
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

From: PPID Pemda <ppid@pemda.test>
To: citizen@rusak.test
Subject: [PPID-2026-0001] Permohonan informasi diterima
Message-ID: <{OUR_ID}>

--4C1A52E0A1.1767578741/mail.pemda.test--
""")


POSTFIX_BOUNCE_ID = Sample(
    postfix_dsn(
        "failed",
        "5.1.1",
        "Pesan tidak terkirim: dikembalikan ke pengirim",
        "550 5.1.1 <citizen@rusak.test>: Recipient address rejected: User unknown",
    ),
    "bounce",
)
POSTFIX_DELAY = Sample(
    postfix_dsn(
        "delayed",
        "4.4.1",
        "Delayed Mail (still being retried)",
        "connect to mx.rusak.test[192.0.2.7]:25: Connection timed out",
    ),
    "bounce",
)

QMAIL_BOUNCE = Sample(
    wire(f"""\
Return-Path: <>
Date: 5 Jan 2026 02:06:12 -0000
From: MAILER-DAEMON@mx.rusak.test
To: ppid@pemda.test
Subject: failure notice

Hi. This is the qmail-send program at mx.rusak.test.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<citizen@rusak.test>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <ppid@pemda.test>
Received: (qmail 8515 invoked from network); 5 Jan 2026 02:06:11 -0000
From: PPID Pemda <ppid@pemda.test>
To: citizen@rusak.test
Subject: [PPID-2026-0001] Permohonan informasi diterima
Message-ID: <{OUR_ID}>

Nomor registrasi permohonan Anda: PPID-2026-0001
"""),
    "bounce",
)

GMAIL_BOUNCE_PLAIN = Sample(
    wire(f"""\
Delivered-To: ppid@pemda.test
MIME-Version: 1.0
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: ppid@pemda.test
X-Failed-Recipients: citizen@rusak.test
Subject: Delivery Status Notification (Failure)
Message-ID: <001636e0a5ece778400491be7b6c@google.com>
Date: Mon, 05 Jan 2026 02:06:55 +0000
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Delivery to the following recipient failed permanently:

     citizen@rusak.test

Technical details of permanent failure:=20
Google tried to deliver your message, but it was rejected by the recipient =
domain. The error that the other server returned was: 550 5.1.1 user unknown.

----- Original message -----

From: PPID Pemda <ppid@pemda.test>
To: citizen@rusak.test
Message-ID: <{OUR_ID}>
Subject: [PPID-2026-0001] Permohonan informasi diterima
"""),
    "bounce",
)

M365_NDR = Sample(
    wire(f"""\
From: Microsoft Outlook
\t<MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@pemda.onmicrosoft.test>
To: <ppid@pemda.test>
Date: Mon, 5 Jan 2026 02:07:30 +0000
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="_b8a64a2d-6d4e-4a5e-9c54-2f1f7a6e0c11_"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <2f1f7a6e-0c11-4a5e-9c54-ndr@SG2PR06MB1234.apcprd06.prod.outlook.test>
In-Reply-To: <{OUR_ID}>
References: <{OUR_ID}>
Subject: Undeliverable: [PPID-2026-0001] Permohonan informasi diterima
Auto-Submitted: auto-replied
MIME-Version: 1.0

--_b8a64a2d-6d4e-4a5e-9c54-2f1f7a6e0c11_
Content-Type: multipart/alternative; differences=Content-Type;
\tboundary="_65d1f0a4-3c2e-4b7b-8f5e-1c5a2b0d9e77_"

--_65d1f0a4-3c2e-4b7b-8f5e-1c5a2b0d9e77_
Content-Type: text/plain; charset="us-ascii"

Your message to citizen@rusak.test couldn't be delivered.
citizen wasn't found at rusak.test.

--_65d1f0a4-3c2e-4b7b-8f5e-1c5a2b0d9e77_
Content-Type: text/html; charset="us-ascii"

<html><body><p>Your message to citizen@rusak.test couldn't be delivered.</p></body></html>

--_65d1f0a4-3c2e-4b7b-8f5e-1c5a2b0d9e77_--

--_b8a64a2d-6d4e-4a5e-9c54-2f1f7a6e0c11_
Content-Type: message/delivery-status

Reporting-MTA: dns;SG2PR06MB1234.apcprd06.prod.outlook.test
Received-From-MTA: dns;mail.pemda.test
Arrival-Date: Mon, 5 Jan 2026 02:07:29 +0000

Original-Recipient: rfc822;citizen@rusak.test
Final-Recipient: rfc822;citizen@rusak.test
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound;
 Recipient not found by SMTP address lookup

--_b8a64a2d-6d4e-4a5e-9c54-2f1f7a6e0c11_
Content-Type: message/rfc822

From: PPID Pemda <ppid@pemda.test>
To: <citizen@rusak.test>
Subject: [PPID-2026-0001] Permohonan informasi diterima
Date: Mon, 5 Jan 2026 02:07:28 +0000
Message-ID: <{OUR_ID}>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"

Nomor registrasi permohonan Anda: PPID-2026-0001

--_b8a64a2d-6d4e-4a5e-9c54-2f1f7a6e0c11_--
"""),
    "bounce",
)

OUTLOOK_MDN = Sample(
    wire(f"""\
From: Hendra Wijaya <hendra.wijaya@kantor.test>
To: PPID Pemda <ppid@pemda.test>
Subject: Dibaca: [PPID-2026-0001] Permohonan informasi diterima
Date: Mon, 5 Jan 2026 02:08:00 +0000
Message-ID: <mdn-1@SG2PR06MB1234.apcprd06.prod.outlook.test>
Content-Type: multipart/report; report-type=disposition-notification;
\tboundary="_mdn_boundary_"
MIME-Version: 1.0

--_mdn_boundary_
Content-Type: text/plain; charset="utf-8"

Pesan Anda telah dibaca pada Senin, 5 Januari 2026 09.08.00 (UTC+07:00).

--_mdn_boundary_
Content-Type: message/disposition-notification

Final-Recipient: rfc822;hendra.wijaya@kantor.test
Original-Message-ID: <{OUR_ID}>
Disposition: manual-action/MDN-sent-manually; displayed

--_mdn_boundary_--
"""),
    "report",
)

OUTLOOK_READ_TEXT = Sample(
    wire(f"""\
From: Hendra Wijaya <hendra.wijaya@kantor.test>
To: PPID Pemda <ppid@pemda.test>
Subject: Read: [PPID-2026-0001] Permohonan informasi diterima
Thread-Topic: [PPID-2026-0001] Permohonan informasi diterima
Date: Mon, 5 Jan 2026 02:09:00 +0000
Message-ID: <read-1@SG2PR06MB1234.apcprd06.prod.outlook.test>
In-Reply-To: <{OUR_ID}>
X-MS-Exchange-Organization-SCL: -1
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

Your message

  To: Hendra Wijaya
  Subject: [PPID-2026-0001] Permohonan informasi diterima
  Sent: Monday, January 5, 2026 9:05:00 AM (UTC+07:00) Bangkok, Hanoi, Jakarta

was read on Monday, January 5, 2026 9:09:00 AM (UTC+07:00) Bangkok, Hanoi, Jakarta.
"""),
    "report",
)

_ICS = """\
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
METHOD:REQUEST
BEGIN:VEVENT
DTSTART:20260112T030000Z
DTEND:20260112T040000Z
SUMMARY:Audiensi keterbukaan informasi
ORGANIZER;CN=Rina Wulandari:mailto:rina@lsm.test
END:VEVENT
END:VCALENDAR
"""

CALENDAR_INVITE = Sample(
    wire(
        _HUMAN_HEAD.format(mid="0000000000004a2b3c05f@google.test")
        + f"""\
MIME-Version: 1.0
Reply-To: Rina Wulandari <rina@lsm.test>
Sender: Google Calendar <calendar-notification@google.test>
From: Rina Wulandari <rina@lsm.test>
Subject: Invitation: Audiensi keterbukaan informasi @ Sen 12 Jan 2026 10am - 11am (WIB)
Content-Type: multipart/mixed; boundary="000000000000c5d6e7f8"

--000000000000c5d6e7f8
Content-Type: multipart/alternative; boundary="000000000000c5d6e7f9"

--000000000000c5d6e7f9
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes

Anda diundang ke acara berikut: Audiensi keterbukaan informasi

--000000000000c5d6e7f9
Content-Type: text/calendar; charset="UTF-8"; method=REQUEST
Content-Transfer-Encoding: 7bit

{_ICS}
--000000000000c5d6e7f9--

--000000000000c5d6e7f8
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

{base64.encodebytes(_ICS.encode()).decode()}
--000000000000c5d6e7f8--
"""
    ),
    "human",
    subject="Invitation: Audiensi keterbukaan informasi @ Sen 12 Jan 2026 10am - 11am (WIB)",
    text="Anda diundang ke acara berikut: Audiensi keterbukaan informasi",
    attachments=("attachment-1.ics", "invite.ics"),  # Gmail sends the invite twice
)


def with_encoded_report(raw: bytes) -> bytes:
    """`raw` (a postfix_dsn) with its delivery-status part base64-encoded, as some servers do."""
    text = raw.decode()
    head = "Content-Type: message/delivery-status\r\n\r\n"
    block = text.split(head)[1].split("\r\n--4C1A")[0]
    encoded = base64.encodebytes(block.encode()).decode().replace("\n", "\r\n")
    cte = "Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    return text.replace(head + block, cte + encoded).encode()
