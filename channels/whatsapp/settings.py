"""The WhatsApp channel's keys: the Cloud API number and app, the webhook, the templates."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from bot.settings import SettingsBase


class WhatsAppSettings(SettingsBase):
    """WHATSAPP_*: an empty WHATSAPP_TOKEN leaves the channel off."""

    whatsapp_token: SecretStr = SecretStr("")
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: SecretStr = SecretStr("")
    whatsapp_verify_token: SecretStr = SecretStr("")
    whatsapp_api_base_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v23.0"
    whatsapp_webhook_path: str = "/whatsapp/webhook"
    # What a first free message opens when the citizen has no open case (as MAIL_DEFAULT_KIND).
    whatsapp_default_kind: Literal["information_request", "complaint"] = "information_request"
    # The approved templates updates go as outside the 24-hour window, by kind
    # (channels/whatsapp/templates.py; their texts in docs/whatsapp.md).
    whatsapp_template_update: str = "loket_case_update"  # any other update
    whatsapp_template_status: str = "loket_status_update"  # a step of the case
    whatsapp_template_letter: str = "loket_letter"  # a letter (decision, extension) as PDF
    whatsapp_template_progress: str = "loket_still_in_process"  # the weekly reminder
    whatsapp_template_survey: str = "loket_survey_invitation"
    whatsapp_template_rating: str = "loket_rating_request"
    whatsapp_template_reply: str = "loket_officer_reply"  # an officer answered
    whatsapp_template_identity: str = "loket_identity_change"  # identity change decided
    whatsapp_template_language_id: str = "id"  # WhatsApp's code of the Indonesian template
    whatsapp_template_language_en: str = "en"  # and of the English one (e.g. en_US)
