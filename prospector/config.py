"""Load config.toml into frozen, validated models; secrets come from the environment."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from prospector.domain.caps import Caps
from prospector.domain.geo import canonical_zone
from prospector.domain.icp import IcpProfile, RedFlag
from prospector.domain.segments import Segment
from prospector.domain.seniority import Seniority
from prospector.domain.windows import SendWindow
from prospector.errors import ConfigError, Problem
from prospector.tomlsource import TomlSource, dotted, load_toml

CONFIG_NAME = "config.toml"
_BARE_ADDRESS = re.compile(r"[^@\s<>\"(),;]+@[^@\s<>\"(),;]+\.[^@\s<>\"(),;]+")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Workspace(_Model):
    """Where state lives and the fallbacks used when a contact's data is silent."""

    database: str = "prospector.db"
    timezone: str = "America/New_York"
    sequences_dir: str = "sequences"
    templates_dir: str = "templates"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return canonical_zone(value)


class Sender(_Model):
    """Who we are, as every message must say (credibility, opt-out, postal address)."""

    company: str = "Northwind"
    product: str = "our product"
    postal_address: str = ""
    opt_out: str = 'If you\'d rather not hear from me again, just reply "unsubscribe".'
    customers: tuple[str, ...] = ()
    unsubscribe_url: str = ""


class Server(_Model):
    """One SMTP or IMAP endpoint; the password is read from `password_env` at run time."""

    host: str = "127.0.0.1"
    port: int = 0
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str = ""
    password_env: str = ""
    verify_tls: bool = True

    def password(self) -> str:
        """The secret, from the environment only, so it never sits in a file in git."""
        return os.environ.get(self.password_env, "") if self.password_env else ""


class Mailbox(_Model):
    """A sending identity: its From line, its daily cap, its servers."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    address: str
    name: str
    title: str = ""
    daily_cap: int = Field(default=50, ge=1, le=1000)
    timezone: str = ""  # the mailbox's own day, for its cap; empty: workspace.timezone
    smtp: Server = Server()  # submission: STARTTLS on 587 is the common default
    imap: Server = Server(security="tls")  # IMAP: implicit TLS on 993 is the common default
    # Who puts a copy of each sent message in the Sent folder: "server" (Gmail, Microsoft 365
    # and most providers do it for SMTP submissions; it also lets prospector settle messages
    # left uncertain by a crash), "append" (prospector appends it over IMAP), or "none".
    sent_copy: Literal["server", "append", "none"] = "server"
    sent_folder: str = ""  # empty: the folder marked \Sent (RFC 6154), else "Sent"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return canonical_zone(value) if value.strip() else ""


class ImportRules(_Model):
    """List hygiene applied on import; flagged contacts are kept but excluded, with the rule."""

    min_seniority: Seniority = Seniority.DIRECTOR
    exclude_unknown_seniority: bool = False
    exclude_role_addresses: bool = True
    exclude_free_mail: bool = False


class Enrolling(_Model):
    """Limits applied when contacts are started on a sequence."""

    max_per_account: int = Field(default=3, ge=0)  # 0: no limit


class Sending(_Model):
    """How the daemon paces and limits sending (PRODUCT.md §3); every default is the method's."""

    window: SendWindow = SendWindow()
    account_daily_cap: int = Field(default=1, ge=1)
    accounts_in_progress: int = Field(default=10, ge=1)
    min_gap_seconds: float = Field(default=90, ge=0)
    max_gap_seconds: float = Field(default=240, ge=0)
    tick_seconds: float = Field(default=30, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    mailbox_failures_to_pause: int = Field(default=3, ge=1)
    smtp_timeout_seconds: float = Field(default=60, gt=0)
    reconcile_after_seconds: float = Field(default=300, ge=0)

    @model_validator(mode="after")
    def _gap_in_order(self) -> Sending:
        if self.min_gap_seconds > self.max_gap_seconds:
            raise ValueError(
                f"min_gap_seconds {self.min_gap_seconds} is above max_gap_seconds"
                f" {self.max_gap_seconds}"
            )
        return self

    def caps(self, mailbox: Mailbox) -> Caps:
        return Caps(
            mailbox_daily=mailbox.daily_cap,
            account_daily=self.account_daily_cap,
            accounts_in_progress=self.accounts_in_progress,
        )


class Replies(_Model):
    """Reading replies (issue 4): where, how often, and what a reply sets in motion."""

    folder: str = "INBOX"
    poll_seconds: float = Field(default=60, gt=0)
    review_below: float = Field(default=0.6, ge=0, le=1)  # less sure than this: a human decides
    referral_sequence: str = "referral-follow-up"  # people a reply points us to walk this
    nurture_sequence: str = ""  # "not now" contacts re-enter this at their date; empty: a human
    nurture_days: int = Field(default=91, ge=1)  # "not now" without a date: next quarter
    out_of_office_days: int = Field(default=7, ge=1)  # an auto-reply without a return date
    soft_bounces_to_suppress: int = Field(default=3, ge=1)
    soft_bounce_retry_hours: float = Field(default=24, gt=0)  # a soft bounce: send again then
    pause_account_on_positive: bool = True  # a yes or a referral pauses the colleagues


class AccountExecutive(_Model):
    """Who takes accepted SQLs; `capacity` is how many new hand-offs a week they can take."""

    name: str = Field(min_length=1)
    email: str = ""
    capacity: int = Field(default=10, ge=1)

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(c in value for c in '\r\n<>"'):
            raise ValueError("a plain name: no line breaks, quotes or angle brackets")
        return value

    @field_validator("email")
    @classmethod
    def _bare_address(cls, value: str) -> str:
        if value and not _BARE_ADDRESS.fullmatch(value):
            raise ValueError(f"{value!r} is not a bare address like dana@example.com")
        return value


class Inbox(_Model):
    """The review queue (issue 5): what counts as qualified, and who is deciding."""

    min_icp_score: int = Field(default=50, ge=0, le=100)  # the checklist's ICP line
    rep: str = ""  # the name decisions are recorded under; empty: the login name


class Handoff(_Model):
    """How an accepted SQL reaches its AE; the webhook secret comes from the environment."""

    via: Literal["intro", "call", "transfer"] = "intro"
    intro_template: str = "handoff_intro"
    webhook_url: str = ""
    webhook_secret_env: str = ""
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_seconds: float = Field(default=10, gt=0)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("webhook_url must start with https:// (or http:// on a LAN)")
        return value

    def webhook_secret(self) -> str:
        """The HMAC key, from the environment only, so it never sits in a file in git."""
        return os.environ.get(self.webhook_secret_env, "") if self.webhook_secret_env else ""


class Config(_Model):
    """The whole file; `base_dir` anchors every relative path it names."""

    workspace: Workspace = Workspace()
    sender: Sender = Sender()
    mailboxes: tuple[Mailbox, ...] = ()
    import_: ImportRules = Field(default=ImportRules(), alias="import")
    enrolling: Enrolling = Enrolling()
    sending: Sending = Sending()
    replies: Replies = Replies()
    inbox: Inbox = Inbox()
    handoff: Handoff = Handoff()
    aes: tuple[AccountExecutive, ...] = ()
    icp: IcpProfile = IcpProfile()
    red_flags: tuple[RedFlag, ...] = ()
    segments: dict[str, Segment] = {}

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("red_flags")
    @classmethod
    def _unique_ids(cls, flags: tuple[RedFlag, ...]) -> tuple[RedFlag, ...]:
        seen: set[str] = set()
        for flag in flags:
            if flag.id in seen:
                raise ValueError(f"red flag id {flag.id!r} is used twice")
            seen.add(flag.id)
        return flags

    @field_validator("aes")
    @classmethod
    def _unique_names(cls, aes: tuple[AccountExecutive, ...]) -> tuple[AccountExecutive, ...]:
        names = [ae.name.lower() for ae in aes]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"AE name {name!r} is used twice")
        return aes


class Settings(BaseModel):
    """A loaded config plus where it came from (paths resolve against its folder)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    path: Path

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def database_url(self) -> str:
        db = self.config.workspace.database
        if "://" in db:
            return db
        return f"sqlite:///{(self.base_dir / db).resolve()}"

    @property
    def sequences_dir(self) -> Path:
        return self.base_dir / self.config.workspace.sequences_dir

    @property
    def templates_dir(self) -> Path:
        return self.base_dir / self.config.workspace.templates_dir


def load_settings(path: Path) -> Settings:
    """Read and validate `path`; every problem names the file, line and key."""
    if not path.exists():
        raise ConfigError(
            [Problem(str(path), "no config file here; run `prospector init` to create one")]
        )
    source = load_toml(path)
    return Settings(config=parse_config(source), path=path)


def parse_config(source: TomlSource) -> Config:
    try:
        return Config.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError(problems_from(source, exc)) from exc


def problems_from(source: TomlSource, exc: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into located problems, all of them, not only the first."""
    problems = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not _is_internal(p))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        problems.append(
            Problem(str(source.path), message, line=source.line_of(loc), key=dotted(loc))
        )
    return problems


def _is_internal(part: str | int) -> bool:
    """Pydantic adds validator names to locations; users never wrote them."""
    return isinstance(part, str) and ("function-" in part or "[" in part)
