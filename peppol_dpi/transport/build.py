"""From a configuration object to a running service.

:func:`build_corner2` and :func:`build_corner3` turn a :class:`~.config.Corner2Config` /
:class:`~.config.Corner3Config` and the format implementations (:class:`Formats`: AS4, payload,
business message reader, endpoint locator) into a :class:`~.server.Service`. The parts that
only depend on the configuration (store, HTTP session with its TLS trust, Maskinporten token
verifier, corner 4 client, wire dumps, logging) are made here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from ..errors import UsageError
from .auth import HttpJwks, JwksSource, MaskinportenTokenVerifier, StaticJwks
from .config import Corner2Config, Corner3Config, StoreConfig, TlsConfig
from .delivery import HttpCorner4
from .logs import configure_logging
from .ports import As4Codec, BusinessMessageReader, EndpointLocator, PayloadCodec
from .server import Service, corner2_service, corner3_service
from .sqlite_store import SqliteStore
from .wire import WireDump

__all__ = ["Formats", "build_corner2", "build_corner3", "http_session", "open_store"]


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


def _jwks(config: Corner2Config, session: requests.Session) -> JwksSource:
    if config.maskinporten_jwks_file is not None:
        return StaticJwks(json.loads(config.maskinporten_jwks_file.read_text()))
    if config.maskinporten_jwks_uri is not None:
        return HttpJwks(config.maskinporten_jwks_uri, session=session)
    raise UsageError("corner 2 needs maskinporten_jwks_uri or maskinporten_jwks_file")


def build_corner2(
    config: Corner2Config, formats: Formats, *, clock: Callable[[], datetime] = _utc_now
) -> Service:
    configure_logging(service="corner2", json_lines=config.log_json)
    session = http_session(config.tls)
    return corner2_service(
        store=open_store(config.store),
        tokens=MaskinportenTokenVerifier(
            issuer=config.maskinporten_issuer, jwks=_jwks(config, session)
        ),
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
    )


def build_corner3(
    config: Corner3Config,
    formats: Formats,
    *,
    clock: Callable[[], datetime] = _utc_now,
    env: Mapping[str, str] | None = None,
) -> Service:
    environment = os.environ if env is None else env
    api_key = None
    if config.corner4_api_key_env is not None:
        api_key = environment.get(config.corner4_api_key_env)
        if not api_key:
            raise UsageError(f"environment variable {config.corner4_api_key_env} is not set")
    configure_logging(service="corner3", json_lines=config.log_json)
    session = http_session(config.tls)
    return corner3_service(
        store=open_store(config.store),
        reader=formats.reader,
        as4=formats.as4,
        payloads=formats.payloads,
        locator=formats.locator,
        corner4=HttpCorner4(
            session=session, urls=dict(config.corner4_urls), default_url=config.corner4_default_url
        ),
        session=session,
        clock=clock,
        server=config.server,
        retry=config.retry,
        worker=config.worker,
        as4_path=config.as4.path,
        corner4_api_key=api_key,
        dump=WireDump(config.wire_dump_dir) if config.wire_dump_dir else None,
    )
