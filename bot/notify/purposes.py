"""Why a message goes out: the one list of outbox purposes, stored in `outbox.purpose`.

A renderer may treat a purpose specially (a chat app opens the survey's first question under a
survey invitation and offers the rating buttons under a rating request; WhatsApp picks a
template by purpose), so every purpose is declared here once and compared by member.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """What an outbox row is for. The values are stored, so they never change."""

    # to the requester
    ACKNOWLEDGEMENT = "acknowledgement"  # the proof of request, at once (UU KIP Pasal 22)
    MAIL_DETAILS_RECEIVED = "mail_details_received"
    STATUS_UPDATE = "status_update"
    PROGRESS_UPDATE = "progress_update"
    LETTER = "letter"
    IDENTITY_CHANGE_DECIDED = "identity_change_decided"
    SURVEY_INVITATION = "survey_invitation"
    RATING_REQUEST = "rating_request"
    OFFICER_REPLY = "officer_reply"
    CHAT_REPLY = "whatsapp_reply"  # a chat channel's own answer to a message (added, unreadable)
    # to officers
    CASE_CARD = "officer_card"
    OFFICER_RELAY = "officer_relay"
    REMINDER = "reminder"
    DIGEST = "digest"
    DELIVERY_FAILED_NOTICE = "delivery_failed_notice"
    MAIL_BOUNCE_NOTICE = "mail_bounce_notice"
