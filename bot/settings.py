"""The core's settings, read from the environment and `.env` (channels add their own keys).

Every statutory number of `shared/domain.md` is a setting whose default is the value the law
gives today, because regulations change (PermenPANRB 5/2025 may already have changed the
complaint timelines).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DateList = Annotated[list[dt.date], NoDecode]
IntList = Annotated[list[int], NoDecode]

S = TypeVar("S", bound="SettingsBase")

INDONESIAN_TIMEZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the key and the problem in one line."""


class SettingsBase(BaseSettings):
    """What every group of keys shares: read from the environment and `.env`, secrets as
    `SecretStr` (never shown in `repr` or logs), an empty `KEY=` meaning unset."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object, info: ValidationInfo) -> object:
        """An empty `KEY=` (as `.env.example` has it) leaves an optional setting unset."""
        if value == "" and info.field_name and cls.model_fields[info.field_name].default is None:
            return None
        return value


class Settings(SettingsBase):
    """The core's keys: store, locale, letterhead, calendar, statutory days, windows, outbox.

    Each channel declares its own keys next to its code (channels/<name>/settings.py); the
    composition root (app/settings.py) reads them all as one object, an instance of this class.
    """

    # --- store -----------------------------------------------------------------------------
    database_url: str = "sqlite:///loket.db"
    attachment_dir: Path = Path("attachments")
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)

    # --- locale ----------------------------------------------------------------------------
    timezone: str = "Asia/Jakarta"
    language: Literal["id", "en"] = "id"
    body_name: str = "PPID"

    # --- letterhead and signatures of letters and reports (issue 14) -------------------------
    body_parent: str = ""  # the level above, e.g. "PEMERINTAH KOTA CONTOH"
    body_address: str = ""
    body_contact: str = ""  # telephone, email, website: one line under the address
    body_city: str = ""  # the place written before the date of a letter
    body_logo_path: Path | None = None  # PNG/JPEG/SVG shown at the left of the letterhead
    ppid_signatory_name: str = ""
    ppid_signatory_position: str = "Pejabat Pengelola Informasi dan Dokumentasi"
    ppid_signatory_nip: str = ""
    atasan_signatory_name: str = ""
    atasan_signatory_position: str = "Atasan PPID"
    atasan_signatory_nip: str = ""

    # --- letters: verification codes (issue 14) -----------------------------------------------
    # Keys the code printed on every letter; empty falls back to REPLY_SECRET.
    letter_secret: SecretStr = SecretStr("")
    # Signs reply addresses and links a channel hands out (and keys letters without their own).
    reply_secret: SecretStr = SecretStr("")

    # --- working-day calendar (domain.md §1) -------------------------------------------------
    cuti_bersama_closed: bool = True
    extra_closed_dates: DateList = Field(default_factory=list)
    extra_working_dates: DateList = Field(default_factory=list)

    # --- information requests (UU KIP Pasal 22(7)-(8)) ---------------------------------------
    request_response_days: int = Field(default=10, ge=1)
    request_extension_days: int = Field(default=7, ge=0)
    count_from_complete: bool = False

    # --- objections and disputes (UU KIP Pasal 35-37) -----------------------------------------
    objection_filing_days: int = Field(default=30, ge=1)
    objection_answer_days: int = Field(default=30, ge=1)
    dispute_filing_days: int = Field(default=14, ge=1)

    # --- complaints (Perpres 76/2013, PermenPANRB 62/2018) -------------------------------------
    complaint_verify_days: int = Field(default=3, ge=1)
    complaint_followup_days: int = Field(default=5, ge=1)
    complaint_autoclose_days: int = Field(default=10, ge=1)
    report_disposition_days: int = Field(default=5, ge=1)  # recap: disposed within N days

    # --- when messages may go out ----------------------------------------------------------
    office_hours_start: dt.time = dt.time(8, 0)
    office_hours_end: dt.time = dt.time(16, 0)
    quiet_hours_start: dt.time = dt.time(21, 0)
    quiet_hours_end: dt.time = dt.time(6, 0)

    # --- reference numbers -----------------------------------------------------------------
    ref_prefix_request: str = "PPID"
    ref_prefix_complaint: str = "ADU"
    ref_prefix_objection: str = "KEB"

    # --- the one HTTP server of `loket run` (webhooks, /healthz; issue 12, area "whatsapp") ----
    # Started when HTTP_PORT is set; a channel that takes webhooks needs it.
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, gt=0, lt=65536)
    # The address the public reaches the server at (behind the TLS proxy), e.g.
    # https://loket.example.go.id: webhook URLs to register are printed from it.
    public_base_url: str = ""

    # --- inbox of raw inbound updates (durability of pushed and polled channels, issue 9) ----
    inbox_max_attempts: int = Field(default=5, ge=1)
    # how many chats' updates are handled at once (each chat's own updates one at a time)
    inbox_concurrency: int = Field(default=8, ge=1, le=256)
    inbox_retry_base_seconds: float = Field(default=10.0, gt=0)
    # how long a worker's claim on an inbound update holds unless renewed (it is renewed
    # while the handler runs); a dead worker's updates are taken again after at most this
    inbox_claim_seconds: float = Field(default=30.0, gt=0, le=3600)

    # --- reply safety and the annual report (issue 14, area "annual") --------------------
    # A reply to a case message that starts with this marker stays an internal note.
    desk_internal_marker: str = Field(default="#catatan", min_length=1)

    # --- scheduler and outbox (issue 5) ------------------------------------------------------
    reminder_days_before: IntList = Field(default_factory=lambda: [3, 1, 0])
    reminder_escalate_after_days: int = Field(default=1, ge=0)
    complaint_unverified_remind_days: int = Field(default=2, ge=1)
    complaint_followup_remind_days: IntList = Field(default_factory=lambda: [3, 5])
    requester_progress_every_days: int = Field(default=7, ge=1)
    scheduler_tick_seconds: int = Field(default=60, ge=1)
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_retry_base_seconds: float = Field(default=30.0, ge=1)
    outbox_retry_max_seconds: float = Field(default=3600.0, ge=1)
    outbox_lease_seconds: float = Field(default=600.0, ge=10)
    outbox_email_per_second: float = Field(default=5.0, gt=0)

    # --- logging and stopping (privacy) -----------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    stop_grace_seconds: float = Field(default=30.0, ge=0)

    # --- operations: backup and restore (issue 13, area "ops") ------------------------------
    # Where pg_dump/pg_restore are; None: the newest /usr/lib/postgresql/*/bin, then PATH.
    postgres_bin_dir: Path | None = None
    # Seconds between a standby worker's tries of the singleton roles it lacks (PostgreSQL),
    # and between checks that a held role's database lock is still there.
    role_retry_seconds: float = Field(default=5.0, gt=0, le=25)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use one of {', '.join(INDONESIAN_TIMEZONES)}"
            ) from exc
        return value

    @field_validator("extra_closed_dates", "extra_working_dates", mode="before")
    @classmethod
    def _comma_separated_dates(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return [dt.date.fromisoformat(p) for p in parts]
            except ValueError as exc:
                raise ValueError(f"dates must be YYYY-MM-DD separated by commas ({exc})") from exc
        return value

    @field_validator("reminder_days_before", "complaint_followup_remind_days", mode="before")
    @classmethod
    def _comma_separated_ints(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return [int(p) for p in value.split(",") if p.strip()]
            except ValueError as exc:
                raise ValueError(f"whole numbers separated by commas ({exc})") from exc
        return value

    @field_validator("body_logo_path")
    @classmethod
    def _logo_is_a_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no image file at {value}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        return value

    @model_validator(mode="after")
    def _windows_make_sense(self) -> Settings:
        if self.office_hours_start >= self.office_hours_end:
            raise ValueError("OFFICE_HOURS_START must be before OFFICE_HOURS_END")
        return self

    @property
    def desk_chat_id(self) -> int | None:
        """The officers' desk group chat (PPID/admin): cards of cases not yet disposed go there.
        The chat channel's keys supply it (app/settings.py); the core alone has none."""
        return None

    @property
    def tz(self) -> ZoneInfo:
        """The body's time zone; every deadline is a date in this zone."""
        return ZoneInfo(self.timezone)


def read_settings(cls: type[S], **overrides: object) -> S:
    """Validated settings of `cls`, or raise `SettingsError` naming the first bad key in one
    line."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise SettingsError(".env: not UTF-8 text; save it again as UTF-8") from None
    except OSError as exc:
        raise SettingsError(f".env: cannot be read ({exc.strerror})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]).upper() if err.get("loc") else "SETTINGS"
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        raise SettingsError(f"{key}: {message}") from None
