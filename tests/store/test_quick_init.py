"""Every table model is built by `QuickInit` exactly as SQLModel builds a table row (the same
values, defaults and set fields), and such a row is inserted, read back and updated as any."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import SQLModel, select
from sqlmodel._compat import partial_init, sqlmodel_table_construct

from store.db import Database
from store.enums import CaseKind, Channel, RequestStatus
from store.models import Case, Message, Requester
from store.models._base import QuickInit

TABLE_MODELS = sorted(
    (m.class_ for m in SQLModel._sa_registry.mappers if issubclass(m.class_, QuickInit)),
    key=lambda cls: cls.__name__,
)
WHEN = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)


def sqlmodel_built(model: type[SQLModel], values: dict[str, Any]) -> SQLModel:
    """A row built the way SQLModel's own `__init__` builds a table row."""
    with partial_init():
        row = model()
    return sqlmodel_table_construct(self_instance=row, values=dict(values))


def given(model: type[SQLModel]) -> dict[str, Any]:
    """A value for every other optional field (so given and defaulted fields both occur)."""
    fields = list(model.model_fields.items())
    return {name: None for i, (name, f) in enumerate(fields) if i % 2 and not f.is_required()}


def state(row: SQLModel) -> tuple[dict[str, Any], set[str], Any, Any]:
    values = {k: v for k, v in row.__dict__.items() if k != "_sa_instance_state"}
    return values, row.__pydantic_fields_set__, row.__pydantic_extra__, row.__pydantic_private__


def test_every_table_model_uses_quick_init() -> None:
    tables = {m.class_ for m in SQLModel._sa_registry.mappers}
    assert tables == set(TABLE_MODELS), tables - set(TABLE_MODELS)
    assert len(TABLE_MODELS) > 20


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("values", ["none", "some"])
def test_a_row_is_built_as_sqlmodel_builds_it(model: type[SQLModel], values: str) -> None:
    data = {} if values == "none" else given(model)
    quick, slow = state(model(**data)), state(sqlmodel_built(model, data))
    assert quick[1:] == slow[1:]
    assert quick[0].keys() == slow[0].keys()
    for key, value in slow[0].items():
        if isinstance(value, dt.datetime):  # a factory's "now", a moment apart
            assert isinstance(quick[0][key], dt.datetime)
            assert abs(quick[0][key] - value) < dt.timedelta(seconds=5)
        else:
            assert quick[0][key] == value, key


def test_a_factory_default_is_not_shared_between_rows() -> None:
    first, second = Message(), Message()
    first.meta["mail"] = 1  # a JSON column with an empty dict for default
    assert second.meta == {}


async def test_a_quick_row_is_inserted_read_back_and_updated(db: Database) -> None:
    async with db.transaction() as session:
        requester = Requester(name="Adi")
        session.add(requester)
        await session.flush()
        case = Case(kind=CaseKind.INFORMATION_REQUEST, reference="PPID/2026/0001",
                    requester_id=requester.id, channel=Channel.EMAIL, received_at=WHEN,
                    status=RequestStatus.REGISTERED)  # fmt: skip
        session.add(case)
        await session.flush()
        case.due_date = dt.date(2026, 12, 15)  # tracked as a change of a persistent row
        case_id = case.id
    async with db.session() as session:
        stored = (await session.exec(select(Case).where(Case.id == case_id))).one()
        assert stored.due_date == dt.date(2026, 12, 15)
        assert stored.status == RequestStatus.REGISTERED
        assert stored.language == "id"  # a default, written by the insert
        assert stored.requester_id == requester.id
