"""Separating what a person newly wrote from the quoted earlier mail and the signature.

Reply styles seen in the wild (talon's and Alaveteli's fixtures): "On ... wrote:" / "Pada ...
menulis:" attributions, "-----Original Message-----" / "-----Pesan Asli-----" dividers,
Outlook's "From: / Sent: / To: / Subject:" header block (Indonesian "Dari: / Dikirim: /
Kepada: / Perihal:"), Lotus Notes' "To / cc / Subject" block and "> " quoting, including
answers written between quoted lines. Forwarded mail is never split: what was forwarded is the
content. The signature is what follows an RFC 3676 "-- " line, or a mobile "Sent from ..."
footer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION_RE = re.compile(
    r"^\s*(on|am|le|el|pada)\b.{0,300}\b(wrote|schrieb|a écrit|escribió|menulis)\s*:\s*$",
    re.IGNORECASE,
)
_SHORT_ATTRIBUTION_RE = re.compile(r"^.{1,120}\b(wrote|menulis|schrieb|пишет)\s*:\s*$", re.I)
_DIVIDER_RE = re.compile(
    r"^\s*-{2,}\s*(original message|pesan asli|pesan awal|pesan semula|"
    r"ursprüngliche nachricht|message d'origine)\s*-{2,}",
    re.IGNORECASE,
)
_UNDERSCORES_RE = re.compile(r"^\s*_{20,}\s*$")
_HEADER_FROM_RE = re.compile(r"^\s*\**(from|dari)\s*:\**\s", re.IGNORECASE)
_HEADER_NEXT_RE = re.compile(
    r"^\s*\**(sent|date|to|subject|dikirim|tanggal|kepada|perihal|subjek|cc)\s*:", re.IGNORECASE
)
_SIGNATURE_RE = re.compile(r"^--\s?$")
_MOBILE_FOOTER_RE = re.compile(
    r"^\s*(sent from my|sent from (yahoo|mail|outlook)|get outlook for|dikirim dari)\b",
    re.IGNORECASE,
)
_FORWARD_SUBJECT_RE = re.compile(r"^\s*(fwd?|fw|tr|wg|terusan|teruskan)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class ReplyParts:
    """The new text, the quoted earlier mail, and the signature (each possibly empty)."""

    new: str
    quoted: str = ""
    signature: str = ""


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _outlook_block(lines: list[str], i: int) -> bool:
    following = [line for line in lines[i + 1 : i + 6] if line.strip()]
    return bool(_HEADER_FROM_RE.match(lines[i])) and (
        sum(bool(_HEADER_NEXT_RE.match(line)) for line in following[:4]) >= 2
    )


def _lotus_block_start(lines: list[str], i: int) -> int | None:
    """Lotus Notes quotes the original as "<sender>\\n<date>\\n\\nTo\\n...\\ncc\\n\\nSubject"."""
    if lines[i].strip() != "To" or not any(
        line.strip() == "Subject" for line in lines[i + 1 : i + 8]
    ):
        return None
    for j in range(max(0, i - 8), i):
        if "@" in lines[j] and (j == 0 or not lines[j - 1].strip()):
            return j
    return i


def _cut(lines: list[str]) -> int | None:
    """The index of the first line of the quoted earlier mail, if any marker is found."""
    for i, line in enumerate(lines):
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
        if _ATTRIBUTION_RE.match(line) or (
            _ATTRIBUTION_RE.match(joined) and not _ATTRIBUTION_RE.match(lines[i + 1])
        ):
            return i
        if _DIVIDER_RE.match(line) or _outlook_block(lines, i):
            return i
        if _UNDERSCORES_RE.match(line) and any(
            _HEADER_FROM_RE.match(n) for n in lines[i + 1 : i + 3]
        ):
            return i
        lotus = _lotus_block_start(lines, i)
        if lotus is not None:
            return lotus
    return None


def _signature_start(lines: list[str]) -> int | None:
    for i in range(len(lines) - 1, -1, -1):
        if _SIGNATURE_RE.match(lines[i]):
            return i
    tail = [i for i, line in enumerate(lines) if line.strip()][-1:]
    if tail and _MOBILE_FOOTER_RE.match(lines[tail[0]]):
        return tail[0]
    return None


def split_reply(text: str, subject: str = "") -> ReplyParts:
    """Split a plain-text body into new text, quoted text and signature (see module doc)."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    if _FORWARD_SUBJECT_RE.match(subject or ""):
        return ReplyParts("\n".join(lines).strip())
    cut = _cut(lines)
    head, tail = (lines, []) if cut is None else (lines[:cut], lines[cut:])
    own: list[str] = []
    inline: list[str] = []  # "> " lines above the cut (answers written between quotes)
    for i, line in enumerate(head):
        next_line = head[i + 1] if i + 1 < len(head) else ""
        if _is_quote(line) or (_SHORT_ATTRIBUTION_RE.match(line) and _is_quote(next_line)):
            inline.append(line)
        else:
            own.append(line)
    quoted = inline + tail
    signature_at = _signature_start(own)
    signature = own[signature_at:] if signature_at is not None else []
    own = own[:signature_at] if signature_at is not None else own
    return ReplyParts(
        "\n".join(own).strip(),
        "\n".join(quoted).strip(),
        "\n".join(signature).strip(),
    )
