"""All tables, importable from one place so that `SQLModel.metadata` knows every one of them."""

from store.models.calendar import CalendarOverride
from store.models.cases import Attachment, Case, Event, Message
from store.models.delivery import OutboxMessage, SentReminder
from store.models.people import Contact, Officer, Requester, Unit
from store.models.sequences import ReferenceCounter

__all__ = [
    "Attachment",
    "CalendarOverride",
    "Case",
    "Contact",
    "Event",
    "Message",
    "Officer",
    "OutboxMessage",
    "ReferenceCounter",
    "Requester",
    "SentReminder",
    "Unit",
]
