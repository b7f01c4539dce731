"""From a configuration object to a running service.

:func:`build_corner2` and :func:`build_corner3` turn a :class:`~.config.Corner2Config` /
:class:`~.config.Corner3Config` and the format implementations (:class:`Formats`: AS4, payload,
business message reader, endpoint locator) into a :class:`~.server.Service`. The parts that
only depend on the configuration (store, HTTP session with its TLS trust, Maskinporten token
verifier, corner 4 client, wire dumps, logging) are made here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

import dns.resolver
import requests
from cryptography import x509

from ..arguments import require_callable, require_instance, require_optional
from ..as4 import message_id_factory
from ..errors import UsageError
from ..keys import load_certificate
from ..keystore import load_key_file, load_trust_store
from ..limits import DEFAULT_LIMITS
from ..lookup.discovery import EndpointFinder
from ..lookup.sml import sml_zone
from ..lookup.smp_client import SmpClient
from ..revocation import revocation_checker
from ..trust import RevocationMode, TrustPolicy
from .auth import HttpJwks, JwksSource, MaskinportenTokenVerifier, StaticJwks
from .config import (
    Corner2Config,
    Corner3Config,
    RetentionConfig,
    RetryConfig,
    ServerConfig,
    StoreConfig,
    TlsConfig,
    WorkerConfig,
    read_json_file,
    read_key_file,
)
from .delivery import HttpCorner4
from .dpi_formats import DpiPayloads, DpiReader
from .locate import FixedLocator, SmpLocator
from .logs import configure_logging
from .peppol_as4 import PeppolAs4
from .ports import As4Codec, BusinessMessageReader, EndpointLocator, PayloadCodec
from .server import Service, corner2_service, corner3_service
from .sqlite_store import SqliteStore
from .store import Store
from .wire import WireDump

__all__ = [
    "Formats",
    "build_corner2",
    "build_corner3",
    "formats_from_config",
    "http_session",
    "open_store",
]


@dataclass(frozen=True, kw_only=True)
class Formats:
    """The format side of an access point (see :mod:`.ports`)."""

    as4: As4Codec
    payloads: PayloadCodec
    reader: BusinessMessageReader
    locator: EndpointLocator


def _utc_now() -> datetime:
    return datetime.now(UTC)


def http_session(tls: TlsConfig) -> requests.Session:
    """A session verifying servers with ``tls.ca_file`` (or the system CAs).

    With a CA file, the environment is not consulted: requests would otherwise let
    ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override the session's ``verify``.
    """
    session = requests.Session()
    if not tls.verify:
        session.verify = False
    elif tls.ca_file is not None:
        session.verify = str(tls.ca_file)
        session.trust_env = False
    return session


def open_store(config: StoreConfig) -> SqliteStore:
    return SqliteStore(
        config.path, blob_dir=config.blob_dir, inline_max_bytes=config.inline_max_bytes
    )


def _certificates(paths: tuple[Path, ...]) -> tuple[x509.Certificate, ...]:
    return tuple(cert for path in paths for cert in load_trust_store(read_key_file(path)))


def formats_from_config(
    config: Corner2Config | Corner3Config,
    *,
    session: requests.Session,
    clock: Callable[[], datetime] = _utc_now,
    env: Mapping[str, str] | None = None,
) -> Formats:
    """The real format side from the configuration: Peppol AS4 with the AP key and the Peppol
    trust anchors, the DPI reader with the business CAs, the Innbyggerpost payload, and SML +
    SMP discovery (or the fixed endpoints of ``lookup.static_endpoints``)."""
    caller = "formats_from_config"
    require_instance(config, (Corner2Config, Corner3Config), caller=caller, name="config")
    require_instance(session, requests.Session, caller=caller, name="session")
    environment = os.environ if env is None else env
    as4 = config.as4
    if as4.key_file is None:
        raise UsageError("as4.key_file is required")
    password = None
    if as4.key_password_env is not None:
        if as4.key_password_env not in environment:
            raise UsageError(f"environment variable {as4.key_password_env} is not set")
        password = environment[as4.key_password_env].encode()
    key = load_key_file(read_key_file(as4.key_file), password)
    try:
        mode = RevocationMode(config.revocation)
    except ValueError:
        raise UsageError(f"revocation must be one of {[m.value for m in RevocationMode]}") from None
    checker = revocation_checker(session) if mode is not RevocationMode.OFF else None

    def policy(anchors: tuple[Path, ...], intermediates: tuple[Path, ...]) -> TrustPolicy:
        return TrustPolicy(
            anchors=_certificates(anchors),
            intermediates=_certificates(intermediates),
            revocation=mode,
            revocation_checker=checker,
        )

    peppol = policy(as4.trust_anchors, as4.intermediates)
    lookup = config.lookup
    locator: EndpointLocator
    if lookup.static_endpoints:
        if lookup.static_certificate is None:
            raise UsageError("lookup.static_endpoints needs lookup.static_certificate")
        locator = FixedLocator(
            urls=dict(lookup.static_endpoints),
            certificate=load_certificate(read_key_file(lookup.static_certificate)),
        )
    else:
        if lookup.sml_zone is None:
            raise UsageError("lookup needs sml_zone (or static_endpoints)")
        resolver = dns.resolver.Resolver(configure=lookup.dns_server is None)
        if lookup.dns_server is not None:
            host, _, port = lookup.dns_server.rpartition(":")
            resolver.nameservers = [host]
            resolver.port = int(port)
        smp = SmpClient(
            session=session,
            trust=policy(lookup.smp_trust_anchors, as4.intermediates),
            timeout=(lookup.smp_timeout_seconds, lookup.smp_timeout_seconds),
            clock=clock,
        )
        locator = SmpLocator(
            finder=EndpointFinder(
                smp=smp, zone=sml_zone(lookup.sml_zone), resolver=resolver, endpoint_trust=peppol
            ),
            clock=clock,
        )
    return Formats(
        as4=PeppolAs4(
            key=key,
            trust=peppol,
            clock=clock,
            new_message_id=message_id_factory(as4.message_id_host),
            spool_dir=config.server.spool_dir,
        ),
        payloads=DpiPayloads(),
        reader=DpiReader(
            trust=policy(config.business_trust_anchors, config.business_intermediates)
        ),
        locator=locator,
    )


def _jwks(config: Corner2Config, session: requests.Session) -> JwksSource:
    if config.maskinporten_jwks_file is not None:
        return StaticJwks(
            read_json_file(
                config.maskinporten_jwks_file, max_bytes=DEFAULT_LIMITS.max_http_response_bytes
            )
        )
    if config.maskinporten_jwks_uri is not None:
        return HttpJwks(config.maskinporten_jwks_uri, session=session)
    raise UsageError("corner 2 needs maskinporten_jwks_uri or maskinporten_jwks_file")


def build_corner2(
    config: Corner2Config,
    formats: Formats | None = None,
    *,
    clock: Callable[[], datetime] = _utc_now,
    env: Mapping[str, str] | None = None,
) -> Service:
    """Corner 2 from its configuration (``formats``: the real ones from the configuration)."""
    _check_build("build_corner2", config, Corner2Config, formats=formats, clock=clock, env=env)
    session, formats = _prepare("corner2", config, formats, clock, env)
    tokens = MaskinportenTokenVerifier(
        issuer=config.maskinporten_issuer,
        jwks=_jwks(config, session),
        audience=config.maskinporten_audience,
    )
    return corner2_service(**_service_parts(config, formats, session, clock), tokens=tokens)


def build_corner3(
    config: Corner3Config,
    formats: Formats | None = None,
    *,
    clock: Callable[[], datetime] = _utc_now,
    env: Mapping[str, str] | None = None,
) -> Service:
    _check_build("build_corner3", config, Corner3Config, formats=formats, clock=clock, env=env)
    environment = os.environ if env is None else env
    api_key = None
    if config.corner4_api_key_env is not None:
        api_key = environment.get(config.corner4_api_key_env)
        if not api_key:
            raise UsageError(f"environment variable {config.corner4_api_key_env} is not set")
    session, formats = _prepare("corner3", config, formats, clock, environment)
    corner4 = HttpCorner4(
        session=session,
        urls=dict(config.corner4_urls),
        default_url=config.corner4_default_url,
        spool_dir=config.server.spool_dir,
    )
    return corner3_service(
        **_service_parts(config, formats, session, clock),
        corner4=corner4,
        corner4_api_key=api_key,
        served=corner4.serves,
    )


class _ServiceParts(TypedDict):
    """What :func:`~.server.corner2_service` and :func:`~.server.corner3_service` both take,
    made the same way from an access point's configuration and formats."""

    store: Store
    reader: BusinessMessageReader
    as4: As4Codec
    payloads: PayloadCodec
    locator: EndpointLocator
    session: requests.Session
    clock: Callable[[], datetime]
    server: ServerConfig
    retry: RetryConfig
    worker: WorkerConfig
    as4_path: str
    dump: WireDump | None
    retention: RetentionConfig


def _check_build(
    caller: str, config: object, kind: type, *, formats: object, clock: object, env: object
) -> None:
    # Before logging is set up or a session made: a wrong config was an AttributeError there.
    require_instance(config, kind, caller=caller, name="config")
    require_optional(formats, Formats, caller=caller, name="formats")
    require_callable(clock, caller=caller, name="clock")
    if env is not None:
        require_instance(env, Mapping, caller=caller, name="env", expected="a mapping or None")


def _prepare(
    service: str,
    config: Corner2Config | Corner3Config,
    formats: Formats | None,
    clock: Callable[[], datetime],
    env: Mapping[str, str] | None,
) -> tuple[requests.Session, Formats]:
    """Logging as ``service``, the HTTP session, and the formats (from the configuration
    when none are given)."""
    configure_logging(service=service, json_lines=config.log_json)
    session = http_session(config.tls)
    if formats is None:
        formats = formats_from_config(config, session=session, clock=clock, env=env)
    return session, formats


def _service_parts(
    config: Corner2Config | Corner3Config,
    formats: Formats,
    session: requests.Session,
    clock: Callable[[], datetime],
) -> _ServiceParts:
    """The store, the formats and the settings both corners' services are made of."""
    return _ServiceParts(
        store=open_store(config.store),
        reader=formats.reader,
        as4=formats.as4,
        payloads=formats.payloads,
        locator=formats.locator,
        session=session,
        clock=clock,
        server=config.server,
        retry=config.retry,
        worker=config.worker,
        as4_path=config.as4.path,
        dump=WireDump(config.wire_dump_dir) if config.wire_dump_dir else None,
        retention=config.retention,
    )
