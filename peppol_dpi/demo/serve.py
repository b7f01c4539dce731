"""``peppol-dpi serve ROLE --config FILE``: one piece of the flow, to run against your own.

Each role reads one typed configuration (TOML or JSON, environment variables on top, as
:func:`peppol_dpi.transport.config.load_config`); corner 2 and corner 3 use the transport's
:class:`~peppol_dpi.transport.config.Corner2Config` / ``Corner3Config``. Examples per role are
in docs/serve.md. Secrets (key passwords, SMP and Altinn passwords) are named by environment
variable, never written in the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from cryptography import x509

from ..errors import UsageError
from ..ids import ParticipantId
from ..keys import LocalPrivateKey, load_certificate
from ..keystore import load_key_file, load_trust_store
from ..lookup.sml import naptr_name
from ..revocation import revocation_checker
from ..services.base import RunningService
from ..services.delegation import AltinnDelegationCheck, DelegationService, serve_delegation
from ..services.dns import DnsZone, serve_dns
from ..services.krr import KrrService, serve_krr
from ..services.mailbox import MailboxService, serve_mailbox
from ..services.maskinporten import ClientRegistration, MaskinportenService, serve_maskinporten
from ..services.smp import SmpService, serve_smp
from ..transport.auth import HttpJwks
from ..transport.build import build_corner2, build_corner3
from ..transport.config import (
    Corner2Config,
    Corner3Config,
    ServerConfig,
    load_config,
    read_json_file,
    read_key_file,
)
from ..trust import TrustPolicy

__all__ = [
    "ROLES",
    "DelegationConfig",
    "DnsConfig",
    "KrrConfig",
    "MailboxConfig",
    "SmpConfig",
    "TokenClient",
    "TokenConfig",
    "start_role",
]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _secret(env_name: str | None) -> str | None:
    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if value is None:
        raise UsageError(f"environment variable {env_name} is not set")
    return value


def _key(path: Path | None, password_env: str | None) -> LocalPrivateKey:
    if path is None:
        raise UsageError("key_file is required")
    password = _secret(password_env)
    return load_key_file(read_key_file(path), password.encode() if password else None)


#: The largest KRR persons file read (the demo's holds a handful of people).
_MAX_PERSONS_BYTES = 16 * 1024 * 1024


def _certificates(paths: tuple[Path, ...]) -> tuple[x509.Certificate, ...]:
    return tuple(c for p in paths for c in load_trust_store(read_key_file(p)))


@dataclass(frozen=True, kw_only=True)
class DnsConfig:
    server: ServerConfig = field(default_factory=ServerConfig)
    zone: str = "sml.peppol-dpi.local"
    #: participant (0192:<orgnr>) -> SMP URL, published as U-NAPTR Meta:SMP records.
    participants: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SmpConfig:
    server: ServerConfig = field(default_factory=ServerConfig)
    key_file: Path | None = None
    key_password_env: str | None = None
    #: write-API user -> name of the environment variable holding the password.
    users: dict[str, str] = field(default_factory=dict)
    #: serve the SML zone too (DNS on ``dns_port``), kept in step with the write API.
    sml_zone: str | None = None
    dns_port: int = 0
    public_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class TokenClient:
    organisation: str
    scopes: tuple[str, ...]
    certificate_files: tuple[Path, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TokenConfig:
    server: ServerConfig = field(default_factory=ServerConfig)
    key_file: Path | None = None
    key_password_env: str | None = None
    issuer: str | None = None  # default: the URL the service is reached at
    clients: dict[str, TokenClient] = field(default_factory=dict)  # client_id -> client
    delegation_url: str | None = None  # the delegation register asked for consumer_org


@dataclass(frozen=True, kw_only=True)
class DelegationPerson:
    organisation: str
    password_env: str


@dataclass(frozen=True, kw_only=True)
class DelegationConfig:
    server: ServerConfig = field(default_factory=ServerConfig)
    persons: dict[str, DelegationPerson] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class KrrConfig:
    server: ServerConfig = field(default_factory=ServerConfig)
    persons_file: Path | None = None  # JSON list of KRR person entries (dpi.md 6)
    print_provider: str = ""
    print_certificate: Path | None = None
    token_certificate: Path | None = None  # the token service's signing certificate
    token_issuer: str | None = None


@dataclass(frozen=True, kw_only=True)
class MailboxConfig:
    server: ServerConfig = field(default_factory=ServerConfig)
    organisation: str = ""
    key_file: Path | None = None
    key_password_env: str | None = None
    business_trust_anchors: tuple[Path, ...] = ()  # the senders' business CAs
    business_intermediates: tuple[Path, ...] = ()
    maskinporten_jwks_uri: str = ""
    maskinporten_issuer: str | None = None
    receipts_url: str = ""  # corner 3's POST /receipts
    corner3_api_key_env: str | None = None


Started = Callable[[], None]  # stops the role


def _serving(running: RunningService) -> tuple[str, Started]:
    return running.url, running.stop


def _dns(path: Path | None) -> tuple[str, Started]:
    config = load_config(DnsConfig, path, env=os.environ, prefix="PEPPOL_DPI_DNS")
    zone = DnsZone()
    for participant, smp_url in config.participants.items():
        zone.add_smp(naptr_name(ParticipantId.parse(participant), config.zone), smp_url)
    return _serving(serve_dns(zone, host=config.server.host, port=config.server.port))


def _smp(path: Path | None) -> tuple[str, Started]:
    config = load_config(SmpConfig, path, env=os.environ, prefix="PEPPOL_DPI_SMP")
    users = {user: _secret(env) or "" for user, env in config.users.items()}
    dns_service = None
    sml = None
    if config.sml_zone is not None:
        zone = DnsZone()
        dns_service = serve_dns(zone, host=config.server.host, port=config.dns_port)
        sml = (zone, config.sml_zone)
    service = SmpService(
        key=_key(config.key_file, config.key_password_env),
        users=users,
        sml=sml,
        public_url=config.public_url,
    )
    running = serve_smp(service, host=config.server.host, port=config.server.port)

    def stop() -> None:
        running.stop()
        if dns_service is not None:
            dns_service.stop()

    url = running.url + (f" (SML DNS on {dns_service.url})" if dns_service else "")
    return url, stop


def _token(path: Path | None) -> tuple[str, Started]:
    config = load_config(TokenConfig, path, env=os.environ, prefix="PEPPOL_DPI_TOKEN")
    clients = {
        client_id: ClientRegistration(
            client_id=client_id,
            organisation=client.organisation,
            scopes=frozenset(client.scopes),
            certificates=_certificates(client.certificate_files),
        )
        for client_id, client in config.clients.items()
    }
    service = MaskinportenService(
        key=_key(config.key_file, config.key_password_env), clients=clients, issuer=config.issuer
    )
    if config.delegation_url is not None:
        service.delegation = AltinnDelegationCheck(
            base_url=config.delegation_url, session=requests.Session()
        )
        service.delegation_source = config.delegation_url
    return _serving(serve_maskinporten(service, host=config.server.host, port=config.server.port))


def _delegation(path: Path | None) -> tuple[str, Started]:
    config = load_config(DelegationConfig, path, env=os.environ, prefix="PEPPOL_DPI_DELEGATION")
    persons = {
        user: (_secret(p.password_env) or "", p.organisation) for user, p in config.persons.items()
    }
    service = DelegationService(persons=persons)
    return _serving(serve_delegation(service, host=config.server.host, port=config.server.port))


def _krr(path: Path | None) -> tuple[str, Started]:
    config = load_config(KrrConfig, path, env=os.environ, prefix="PEPPOL_DPI_KRR")
    if config.print_certificate is None or config.token_certificate is None:
        raise UsageError("krr: print_certificate and token_certificate are required")
    entries = (
        read_json_file(config.persons_file, max_bytes=_MAX_PERSONS_BYTES)
        if config.persons_file
        else []
    )
    if not isinstance(entries, list):
        raise UsageError("krr: persons_file holds a JSON list of KRR person entries")
    public = load_certificate(read_key_file(config.token_certificate)).public_key()
    service = KrrService(
        persons={str(e.get("personidentifikator")): e for e in entries if isinstance(e, dict)},
        print_provider=config.print_provider,
        print_certificate=load_certificate(read_key_file(config.print_certificate)),
        token_key=public,  # type: ignore[arg-type]
        token_issuer=config.token_issuer,
    )
    return _serving(serve_krr(service, host=config.server.host, port=config.server.port))


def _mailbox(path: Path | None) -> tuple[str, Started]:
    config = load_config(MailboxConfig, path, env=os.environ, prefix="PEPPOL_DPI_MAILBOX")
    if not config.organisation or not config.receipts_url or not config.maskinporten_jwks_uri:
        raise UsageError(
            "mailbox: organisation, receipts_url and maskinporten_jwks_uri are required"
        )
    session = requests.Session()
    service = MailboxService(
        organisation=ParticipantId.norwegian(config.organisation),
        key=_key(config.key_file, config.key_password_env),
        trust=TrustPolicy(
            anchors=_certificates(config.business_trust_anchors),
            intermediates=_certificates(config.business_intermediates),
            revocation_checker=revocation_checker(session),
        ),
        maskinporten=HttpJwks(config.maskinporten_jwks_uri, session=session),
        maskinporten_issuer=config.maskinporten_issuer,
        receipts_url=config.receipts_url,
        corner3_api_key=_secret(config.corner3_api_key_env),
        session=session,
        spool_dir=config.server.spool_dir,
    )
    return _serving(serve_mailbox(service, host=config.server.host, port=config.server.port))


def _corner2(path: Path | None) -> tuple[str, Started]:
    config = load_config(Corner2Config, path, env=os.environ, prefix="PEPPOL_DPI_C2")
    service = build_corner2(config).start()
    return service.url, service.stop


def _corner3(path: Path | None) -> tuple[str, Started]:
    config = load_config(Corner3Config, path, env=os.environ, prefix="PEPPOL_DPI_C3")
    service = build_corner3(config).start()
    return service.url, service.stop


#: role -> starter: returns the URL it serves and a function that stops it.
ROLES: dict[str, Callable[[Path | None], tuple[str, Started]]] = {
    "corner2": _corner2,
    "corner3": _corner3,
    "mailbox": _mailbox,
    "token": _token,
    "delegation": _delegation,
    "krr": _krr,
    "smp": _smp,
    "dns": _dns,
}


def start_role(role: str, config: Path | None) -> tuple[str, Started]:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return ROLES[role](config)
