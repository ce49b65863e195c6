"""Status callbacks (sent, delivered, read, failed) recorded on the outbox row whose WhatsApp
message id (`external_id`, stored by the sender) they name.

A `failed` status decides by its error code, as Meta documents them:
- 131047 (the 24-hour window had closed): the row goes back to the outbox to be sent again as
  its approved template (`payload["whatsapp_template"]`), never dropped;
- 130429 / 131056 / 131048 (throughput, pair and spam rate limits) and 131000/131016 (service
  trouble): sent again after a back-off;
- a fault of the citizen's number (131026 undeliverable, 131021, 131051 ...: errors.py): the
  row fails for good and, as for an email bounce, the contact is marked failing and the PPID
  Utama and admins are told (bot/notify/delivery_failures.py);
- any other error (our configuration: token, template): the row fails and officers are told,
  the contact is not blamed.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import select

from bot.notify.delivery_failures import report_undeliverable
from bot.privacy.masking import redact
from bot.services import Services
from bot.workflow.rules import load_rules
from channels.whatsapp.errors import CONTACT_FAULT, RATE_LIMITED, WINDOW_CLOSED
from store.enums import Channel, OutboxStatus
from store.models import OutboxMessage

log = logging.getLogger(__name__)

SERVICE_TROUBLE = frozenset({0, 1, 2, 131000, 131016})
BACK_OFF = dt.timedelta(minutes=5)
ORDER = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def _error_of(status: dict[str, Any]) -> tuple[int, str]:
    errors = status.get("errors") or [{}]
    first = errors[0]
    details = (first.get("error_data") or {}).get("details") or first.get("title", "")
    return int(first.get("code") or 0), str(details)


async def record_status(services: Services, status: dict[str, Any]) -> bool:
    """Record one status callback on its outbox row; False when no row has that id (e.g. a
    reply sent before the row was stored: nothing to update)."""
    wamid = str(status.get("id", ""))
    state = str(status.get("status", ""))
    now = services.clock.now()
    async with services.db.transaction() as session:
        stmt = select(OutboxMessage).where(
            OutboxMessage.channel == Channel.WHATSAPP.value, OutboxMessage.external_id == wamid
        )
        row = (await session.exec(stmt)).first()
        if row is None:
            return False
        payload = copy.deepcopy(row.payload or {})
        known = payload.get("whatsapp_status")
        if known and ORDER.get(known, 0) >= ORDER.get(state, 0):
            return True  # an older status arriving late (Meta does not keep the order)
        payload["whatsapp_status"] = state
        payload.setdefault("whatsapp_status_at", {})[state] = now.isoformat()
        if state == "failed" and row.status == OutboxStatus.SENT.value:
            code, details = _error_of(status)
            reason = f"WhatsApp error {code}: {details}"
            row.last_error = redact(reason)[:1000]
            if code == WINDOW_CLOSED or code in RATE_LIMITED or code in SERVICE_TROUBLE:
                if code == WINDOW_CLOSED:
                    payload["whatsapp_template"] = True
                payload.pop("whatsapp_status")  # the next send reports afresh
                row.status, row.sent_at, row.external_id = OutboxStatus.PENDING.value, None, None
                row.not_before = now if code == WINDOW_CLOSED else now + BACK_OFF
                log.info("WhatsApp message of outbox row %s failed (%d); sent again", row.id,
                         code)  # fmt: skip
            else:
                row.status = OutboxStatus.FAILED.value
                rules = await load_rules(session, services.settings)
                await report_undeliverable(
                    session, row, reason, rules, now, blame_contact=code in CONTACT_FAULT
                )
                log.warning("WhatsApp message of outbox row %s failed for good (%d)", row.id,
                            code)  # fmt: skip
        row.payload = payload
        flag_modified(row, "payload")
        session.add(row)
    return True
