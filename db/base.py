"""Declarative base, naming convention and the mixins every table shares."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from db.types import UTCDateTime, utcnow

# Stable constraint names, so Alembic can alter them on MySQL and rebuild them on SQLite.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Versioned:
    """Optimistic locking: every UPDATE checks and bumps `version`.

    SQLAlchemy adds `WHERE version = :old` to each UPDATE and raises StaleDataError when
    another writer got there first; services turn that into StaleEdit naming who did it
    (hence `updated_by_login`, kept denormalised so the message needs no extra query).
    """

    version: Mapped[int] = mapped_column(default=1, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
    updated_by_login: Mapped[str | None] = mapped_column(String(32))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805 - SQLAlchemy's declared_attr protocol
        return {"version_id_col": cls.version}
