"""All tables, importable from one place so that `SQLModel.metadata` knows every one of them."""

from store.models.annual import AnnualNarrative
from store.models.calendar import CalendarOverride, CalendarStamp
from store.models.cases import Attachment, Case, Event, Message
from store.models.conversation import ConversationDraft
from store.models.delivery import OutboxMessage, RateLease, RateSlot, SentReminder
from store.models.email import MailAttempt, MailMailbox, MailRecord
from store.models.inbound import InboundUpdate
from store.models.people import (
    MIRRORED_IDENTITIES,
    Contact,
    Officer,
    OfficerIdentity,
    Requester,
    Unit,
)
from store.models.sequences import ReferenceCounter, ReferencePoolNumber
from store.models.survey import SurveyScore
from store.models.telegram import (
    TelegramCaseMessage,
    TelegramDraft,
    TelegramPendingReply,
)

__all__ = [
    "MIRRORED_IDENTITIES",
    "AnnualNarrative",
    "Attachment",
    "CalendarOverride",
    "CalendarStamp",
    "Case",
    "Contact",
    "ConversationDraft",
    "Event",
    "InboundUpdate",
    "MailAttempt",
    "MailMailbox",
    "MailRecord",
    "Message",
    "Officer",
    "OfficerIdentity",
    "OutboxMessage",
    "RateLease",
    "RateSlot",
    "ReferenceCounter",
    "ReferencePoolNumber",
    "Requester",
    "SentReminder",
    "SurveyScore",
    "TelegramCaseMessage",
    "TelegramDraft",
    "TelegramPendingReply",
    "Unit",
]
