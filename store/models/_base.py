"""Column helpers shared by the table modules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic._internal._utils import smart_deepcopy
from sqlalchemy import JSON, Column
from sqlmodel._compat import finish_init


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC (the only kind of datetime the store keeps)."""
    return dt.datetime.now(dt.UTC)


def json_column() -> Any:
    """A JSON column that is portable between SQLite and PostgreSQL."""
    return Column(JSON, nullable=False, default=dict)


# Per table model: (field name, the key it is given by, its default, its default factory,
# whether it is required) for each Pydantic field, in declaration order.
_FieldPlan = tuple[tuple[str, str, Any, Any, bool], ...]
_PLANS: dict[type, _FieldPlan] = {}


def _plan_of(cls: type) -> _FieldPlan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple(
            (name, field.alias or name, field.default, field.default_factory, field.is_required())
            for name, field in cls.model_fields.items()  # type: ignore[attr-defined]
        )
    return plan


class QuickInit:
    """First base of every table model: a new row is built as SQLModel builds one (the fields
    given, the defaults of the others, factories called, no validation) with its values put
    straight into the instance's dict, where SQLAlchemy keeps a row's values, instead of one
    `__setattr__` through SQLAlchemy and Pydantic per column (a case has ~80; that made
    building the rows a third of a mail's ingestion). A flush inserts what the dict holds, and
    later changes are tracked as on any loaded row."""

    def __init__(__pydantic_self__, **data: Any) -> None:
        """Set the given fields and the defaults of the rest (`finish_init` false: nothing,
        as SQLModel's own `model_validate` asks)."""
        if not finish_init.get():
            return
        self = __pydantic_self__
        values = self.__dict__
        given: set[str] = set()
        for name, key, default, factory, required in _plan_of(type(self)):
            if key in data:
                values[name] = data[key]
                given.add(name)
            elif factory is not None:
                values[name] = factory()
            elif not required:
                values[name] = smart_deepcopy(default)
        object.__setattr__(self, "__pydantic_fields_set__", given)
        object.__setattr__(self, "__pydantic_extra__", None)
        object.__setattr__(self, "__pydantic_private__", None)
