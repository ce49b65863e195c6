"""Raw mail written by people, as their clients send it: Gmail, iPhone, Outlook in Indonesian,
S/MIME, TNEF, mailing lists and the odd shapes (image only, one endless line, NUL bytes,
broken base64, a From without an address). See real_world_emails.py for the conventions."""

from __future__ import annotations

from tests.support.real_world_emails import OUR_ID, Sample, wire

GMAIL_REPLY_ID = Sample(
    wire(f"""\
MIME-Version: 1.0
References: <{OUR_ID}>
In-Reply-To: <{OUR_ID}>
From: Siti Aminah <siti.aminah@gmail.test>
Date: Mon, 5 Jan 2026 10:15:02 +0700
Message-ID: <CAF3bZ+qH7vY=reply@mail.gmail.test>
Subject: Re: [PPID-2026-0001] Permohonan informasi diterima
To: PPID Pemda <ppid@pemda.test>
Content-Type: multipart/alternative; boundary="0000000000009f1c2a05f0d1e2f3"

--0000000000009f1c2a05f0d1e2f3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Nama lengkap: Siti Aminah
Tujuan penggunaan: Penelitian skripsi

Terima kasih.

Pada tanggal Sen, 5 Jan 2026 pukul 09.05 PPID Pemda <ppid@pemda.test>
menulis:

> Nomor registrasi permohonan Anda: PPID-2026-0001
>
> Mohon lengkapi data berikut dengan membalas email ini.
>

--0000000000009f1c2a05f0d1e2f3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Nama lengkap: Siti Aminah<br>Tujuan penggunaan: Penelitian =
skripsi<br><br>Terima kasih.</div><br><div class=3D"gmail_quote"><div dir=
=3D"ltr" class=3D"gmail_attr">Pada tanggal Sen, 5 Jan 2026 pukul 09.05 PPID =
Pemda &lt;<a href=3D"mailto:ppid@pemda.test">ppid@pemda.test</a>&gt; menulis=
:<br></div><blockquote class=3D"gmail_quote">Nomor registrasi permohonan An=
da: PPID-2026-0001</blockquote></div>

--0000000000009f1c2a05f0d1e2f3--
"""),
    "human",
    subject="Re: [PPID-2026-0001] Permohonan informasi diterima",
    text="Nama lengkap: Siti Aminah\nTujuan penggunaan: Penelitian skripsi\n\nTerima kasih.",
)

IPHONE_REPLY = Sample(
    wire(f"""\
Content-Type: text/plain;
\tcharset=utf-8
Content-Transfer-Encoding: quoted-printable
From: Agus Pratama <agus.p@icloud.test>
Mime-Version: 1.0 (1.0)
Date: Mon, 5 Jan 2026 10:20:41 +0700
Subject: Re: [PPID-2026-0001] Permohonan informasi diterima
Message-Id: <8D1C4F0A-2B3E-4C5D-9E8F-0A1B2C3D4E5F@icloud.test>
References: <{OUR_ID}>
In-Reply-To: <{OUR_ID}>
To: PPID Pemda <ppid@pemda.test>
X-Mailer: iPhone Mail (21F90)

Baik, saya pilih salinan softcopy lewat email.

Dikirim dari iPhone saya

> Pada 5 Jan 2026, pukul 09.05, PPID Pemda <ppid@pemda.test> menulis:
>=20
> =EF=BB=BFNomor registrasi permohonan Anda: PPID-2026-0001
"""),
    "human",
    subject="Re: [PPID-2026-0001] Permohonan informasi diterima",
    text="Baik, saya pilih salinan softcopy lewat email.",
)

OUTLOOK_REPLY_ID = Sample(
    wire(f"""\
From: Hendra Wijaya <hendra.wijaya@kantor.test>
To: PPID Pemda <ppid@pemda.test>
Subject: RE: [PPID-2026-0001] Permohonan informasi diterima
Thread-Topic: [PPID-2026-0001] Permohonan informasi diterima
Thread-Index: AQHcfQx1mZ0bq2k3T0yQJ3c4dQb6TgAAAbcd
Date: Mon, 5 Jan 2026 03:30:00 +0000
Message-ID: <b2c3d4e5f6a7@SG2PR06MB1234.apcprd06.prod.outlook.test>
References: <{OUR_ID}>
In-Reply-To: <{OUR_ID}>
Accept-Language: id-ID, en-US
Content-Language: id-ID
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

Alamat: Jl. Pemuda No. 5, Semarang

Salam,
Hendra

________________________________
Dari: PPID Pemda <ppid@pemda.test>
Dikirim: Senin, 05 Januari 2026 09.05
Kepada: Hendra Wijaya <hendra.wijaya@kantor.test>
Perihal: [PPID-2026-0001] Permohonan informasi diterima

Nomor registrasi permohonan Anda: PPID-2026-0001
"""),
    "human",
    subject="RE: [PPID-2026-0001] Permohonan informasi diterima",
    text="Alamat: Jl. Pemuda No. 5, Semarang\n\nSalam,\nHendra",
)

PDF_RFC2231 = Sample(
    wire("""\
From: Rina Wulandari <rina@lsm.test>
To: ppid@pemda.test
Subject: Permohonan salinan kontrak pengadaan
Date: Mon, 5 Jan 2026 10:30:00 +0700
Message-ID: <rfc2231-pdf@lsm.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_17_1155.1767583800"

------=_Part_17_1155.1767583800
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

Terlampir surat permohonan kami.

------=_Part_17_1155.1767583800
Content-Type: application/pdf;
 name*=utf-8''Surat%20Permohonan%20%E2%80%93%20Informasi%20Publik.pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
 filename*0*=utf-8''Surat%20Permohonan%20%E2%80%93%20;
 filename*1*=Informasi%20Publik.pdf

JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==
------=_Part_17_1155.1767583800--
"""),
    "human",
    subject="Permohonan salinan kontrak pengadaan",
    text="Terlampir surat permohonan kami.",
    attachments=("Surat Permohonan – Informasi Publik.pdf",),
)

SMIME_SIGNED = Sample(
    wire("""\
From: Dr. Wahyu Nugroho <wahyu.nugroho@univ.ac.test>
To: ppid@pemda.test
Subject: Permohonan data penelitian
Date: Mon, 5 Jan 2026 10:40:00 +0700
Message-ID: <smime-1@univ.ac.test>
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature";
 micalg=sha-256; boundary="------------ms010203040506070809"

This is a cryptographically signed message in MIME format.

--------------ms010203040506070809
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Mohon data jumlah penduduk miskin per desa tahun 2025.

--------------ms010203040506070809
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7s"
Content-Description: S/MIME Cryptographic Signature

MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCC
--------------ms010203040506070809--
"""),
    "human",
    subject="Permohonan data penelitian",
    text="Mohon data jumlah penduduk miskin per desa tahun 2025.",
)

WINMAIL_DAT = Sample(
    wire("""\
From: Bagian Hukum <hukum@dinas.go.test>
To: ppid@pemda.test
Subject: Keberatan atas jawaban PPID
Date: Mon, 5 Jan 2026 03:50:00 +0000
Message-ID: <tnef-1@EXCH01.dinas.go.test>
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator: <tnef-1@EXCH01.dinas.go.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="_002_tnef1EXCH01_"

--_002_tnef1EXCH01_
Content-Type: text/plain; charset="us-ascii"

Kami mengajukan keberatan, rincian terlampir.

--_002_tnef1EXCH01_
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Disposition: attachment; filename="winmail.dat"
Content-Transfer-Encoding: base64

eJ8+IhIAAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADoAAEIgAcAGAAAAElQTS5NaWNy
--_002_tnef1EXCH01_--
"""),
    "human",
    subject="Keberatan atas jawaban PPID",
    text="Kami mengajukan keberatan, rincian terlampir.",
    attachments=("winmail.dat",),
)

MAILING_LIST = Sample(
    wire("""\
From: Forum Keterbukaan <anggota@forum.test>
To: transparansi@googlegroups.test
Subject: [transparansi] Permintaan data APBD 2025
Date: Mon, 5 Jan 2026 11:00:00 +0700
Message-ID: <list-1@forum.test>
Precedence: list
Mailing-list: list transparansi@googlegroups.test; contact transparansi+owners@googlegroups.test
List-ID: <transparansi.googlegroups.test>
List-Post: <mailto:transparansi@googlegroups.test>
List-Unsubscribe: <mailto:transparansi+unsubscribe@googlegroups.test>
Content-Type: text/plain; charset="UTF-8"

Rekan-rekan, mohon PPID membagikan data APBD 2025.
"""),
    "human",
    subject="[transparansi] Permintaan data APBD 2025",
    text="Rekan-rekan, mohon PPID membagikan data APBD 2025.",
    no_reply=True,
)

IMAGE_ONLY = Sample(
    wire("""\
From: Yanti <yanti@warga.test>
To: ppid@pemda.test
Subject: Foto jalan rusak
Date: Mon, 5 Jan 2026 11:10:00 +0700
Message-ID: <image-only@warga.test>
MIME-Version: 1.0
Content-Type: image/jpeg; name="IMG_20260105_110512.jpg"
Content-Disposition: inline; filename="IMG_20260105_110512.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA==
"""),
    "human",
    subject="Foto jalan rusak",
    attachments=("IMG_20260105_110512.jpg",),
)

LONG_LINE_TEXT = "Mohon data " + "anggaran desa " * 80_000
LONG_LINE = Sample(
    wire(f"""\
From: Joko <joko@warga.test>
To: ppid@pemda.test
Subject: Permohonan panjang
Date: Mon, 5 Jan 2026 11:20:00 +0700
Message-ID: <long-line@warga.test>
Content-Type: text/plain; charset=utf-8

{LONG_LINE_TEXT}
"""),
    "human",
    subject="Permohonan panjang",
)

NUL_AND_BAD_BASE64 = Sample(
    wire("""\
From: Lina\x00 <lina@warga.test>
To: ppid@pemda.test
Subject: Permohonan\x00 data
Date: Mon, 5 Jan 2026 11:30:00 +0700
Message-ID: <nul-bytes@warga.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Mohon data\x00 sekolah.

--b1
Content-Type: application/pdf; name="rusak.pdf"
Content-Disposition: attachment; filename="rusak.pdf"
Content-Transfer-Encoding: base64

JVBERi0x!!!bukan-base64@@@=
--b1--
"""),
    "human",
    subject="Permohonan data",
    text="Mohon data sekolah.",
    attachments=("rusak.pdf",),
)

NAME_ONLY_FROM = Sample(
    wire("""\
From: Budi Santoso
To: ppid@pemda.test
Subject: Permohonan informasi
Date: Mon, 5 Jan 2026 11:40:00 +0700
Message-ID: <name-only@warga.test>
Content-Type: text/plain; charset=utf-8

Mohon informasi jadwal pelayanan.
"""),
    "human",
    subject="Permohonan informasi",
    text="Mohon informasi jadwal pelayanan.",
)
