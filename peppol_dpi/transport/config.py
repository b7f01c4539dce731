"""Configuration of the reference services: one typed, frozen object per service.

Read with :func:`load_config` from a TOML or JSON file, then environment variables on top:
``<PREFIX>__<SECTION>__<KEY>=value`` (double underscores separate the levels, names are
case-insensitive), e.g. ``PEPPOL_DPI_C2__SERVER__PORT=8080``. Unknown keys and values of the
wrong type are refused with a :class:`~peppol_dpi.errors.UsageError` naming the key, so a typo
never silently falls back to a default. Secrets (key passwords) are named by the environment
variable that holds them, never written in the file.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from .. import jsonparse
from ..arguments import wrong_type
from ..errors import UsageError
from ..limits import DEFAULT_LIMITS
from ..spool import read_up_to
from ..wsgiserver import DEFAULT_DEADLINES, RequestDeadlines
from .worker import RetryPolicy

__all__ = [
    "AccessPointConfig",
    "As4Config",
    "Corner2Config",
    "Corner3Config",
    "LookupConfig",
    "RetentionConfig",
    "RetryConfig",
    "ServerConfig",
    "ServerTls",
    "StoreConfig",
    "TlsConfig",
    "WorkerConfig",
    "load_config",
    "read_config_file",
    "read_json_file",
    "read_key_file",
]

MiB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class TlsConfig:
    """TLS towards peers: the CA file the client verifies servers with (fixtures PKI in tests)."""

    ca_file: Path | None = None
    verify: bool = True


@dataclass(frozen=True, kw_only=True)
class ServerTls:
    """Serve HTTPS: PEM files of the server certificate, its key and (optional) CA chain."""

    certificate: Path
    key: Path
    chain: Path | None = None


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (tests)
    threads: int = 8
    max_request_bytes: int = 64 * MiB  # dpi.md 3.1: packages up to 50 MB, plus the JWS
    tls: ServerTls | None = None  # None: plain HTTP (behind a TLS-terminating proxy)
    #: Where request bodies, packages and AS4 messages beyond 8 MiB are spooled while they are
    #: read, built or opened (the system's temporary directory if None).
    spool_dir: Path | None = None
    #: How long a client may take to send a request (slowloris; ``[server.deadlines]``).
    deadlines: RequestDeadlines = DEFAULT_DEADLINES

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535 or self.threads < 1 or self.max_request_bytes < 1:
            raise UsageError("server: port 0..65535, threads >= 1, max_request_bytes >= 1")


@dataclass(frozen=True, kw_only=True)
class StoreConfig:
    path: Path = Path("peppol-dpi.sqlite3")
    blob_dir: Path | None = None
    inline_max_bytes: int = 1 * MiB


@dataclass(frozen=True, kw_only=True)
class RetryConfig:
    first_delay_seconds: float = 10.0
    factor: float = 2.0
    max_delay_seconds: float = 600.0
    #: How long after acceptance a message may still be sent; then FEILET.
    deadline_seconds: float = 3600.0

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            first_delay=timedelta(seconds=self.first_delay_seconds),
            factor=self.factor,
            max_delay=timedelta(seconds=self.max_delay_seconds),
        )

    @property
    def deadline(self) -> timedelta:
        return timedelta(seconds=self.deadline_seconds)


@dataclass(frozen=True, kw_only=True)
class RetentionConfig:
    """How long finished work, read receipts and received message ids are kept."""

    days: float = 30.0  # also the duplicate-detection window for received AS4 messages
    interval_seconds: float = 3600.0

    def __post_init__(self) -> None:
        if self.days <= 0 or self.interval_seconds <= 0:
            raise UsageError("retention: days and interval_seconds must be positive")


@dataclass(frozen=True, kw_only=True)
class WorkerConfig:
    lease_seconds: float = 300.0
    timeout_seconds: float = 120.0  # phase4's Peppol response timeout (peppol.md 1.4)
    poll_seconds: float = 5.0
    batch: int = 16
    #: Sending threads per service (each leases its own jobs; AS4 sends overlap).
    concurrency: int = 4

    def __post_init__(self) -> None:
        if self.timeout_seconds >= self.lease_seconds:
            raise UsageError("worker: lease_seconds must outlast timeout_seconds")
        if self.batch < 1 or self.concurrency < 1 or self.poll_seconds <= 0:
            raise UsageError("worker: batch >= 1, concurrency >= 1, poll_seconds > 0")


@dataclass(frozen=True, kw_only=True)
class As4Config:
    """This access point's AS4 identity and whom it trusts."""

    key_file: Path | None = None  # PKCS#12, or PEM key (then certificate_file)
    key_password_env: str | None = None  # name of the environment variable with the password
    certificate_file: Path | None = None
    trust_anchors: tuple[Path, ...] = ()  # Peppol root/AP CA certificates (PEM, DER, JKS, P12)
    intermediates: tuple[Path, ...] = ()  # CA certificates for path building only
    path: str = "/as4"  # where this access point receives AS4
    message_id_host: str = "peppol-dpi"  # ebMS message ids are <uuid>@<this>


@dataclass(frozen=True, kw_only=True)
class LookupConfig:
    """Where to look up the other access point: SML zone (+ DNS server) or fixed endpoints."""

    sml_zone: str | None = None
    dns_server: str | None = None  # "host:port"; None: the system resolver
    smp_trust_anchors: tuple[Path, ...] = ()
    #: participant value -> AS4 URL, used instead of SML/SMP (a fixed partner, tests).
    static_endpoints: dict[str, str] = field(default_factory=dict)
    static_certificate: Path | None = None
    smp_timeout_seconds: float = 10.0


@dataclass(frozen=True, kw_only=True)
class AccessPointConfig:
    """What corner 2 and corner 3 both configure."""

    server: ServerConfig = ServerConfig()
    store: StoreConfig = StoreConfig()
    retention: RetentionConfig = RetentionConfig()
    retry: RetryConfig = RetryConfig()
    worker: WorkerConfig = WorkerConfig()
    tls: TlsConfig = TlsConfig()
    as4: As4Config = As4Config()
    lookup: LookupConfig = LookupConfig()
    business_trust_anchors: tuple[Path, ...] = ()  # CAs of the senders' business certificates
    business_intermediates: tuple[Path, ...] = ()
    #: require | soft | off (trust.RevocationMode), for AP, SMP and business certificates.
    revocation: str = "require"
    wire_dump_dir: Path | None = None
    log_json: bool = True


@dataclass(frozen=True, kw_only=True)
class Corner2Config(AccessPointConfig):
    maskinporten_issuer: str = "https://test.maskinporten.no/"
    maskinporten_jwks_uri: str | None = None
    maskinporten_jwks_file: Path | None = None
    #: When set, tokens must be audience-restricted to it (``aud``; dpi.md 4).
    maskinporten_audience: str | None = None


@dataclass(frozen=True, kw_only=True)
class Corner3Config(AccessPointConfig):
    #: receiver participant value (0192:<orgnr>) -> corner 4 URL.
    corner4_urls: dict[str, str] = field(default_factory=dict)
    corner4_default_url: str | None = None
    #: name of the environment variable holding the key corner 4 posts receipts with.
    corner4_api_key_env: str | None = None
    delivery_deadline_seconds: float = 86400.0


#: The largest configuration file read (a few kilobytes in practice).
MAX_CONFIG_BYTES = 1024 * 1024


def read_config_file(path: Path, *, max_bytes: int) -> bytes:
    """A file a service is configured with (the configuration itself, keys, certificates, a
    JWKS), read only up to ``max_bytes``: a larger one, or one without end, is refused."""
    with path.open("rb") as file:
        data = read_up_to(file, max_bytes + 1)
    if len(data) > max_bytes:
        raise UsageError(f"{path}: larger than {max_bytes} bytes, more than such a file holds")
    return data


def read_json_file(path: Path, *, max_bytes: int) -> Any:
    """A JSON file a service is configured with (a JWKS, KRR's persons), bounded as
    :func:`read_config_file` and read by the strict JSON reader."""
    try:
        return jsonparse.loads(read_config_file(path, max_bytes=max_bytes))
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None


def read_key_file(path: Path) -> bytes:
    """A key, certificate or trust store file of a configuration (``max_key_file_bytes``)."""
    return read_config_file(path, max_bytes=DEFAULT_LIMITS.max_key_file_bytes)


T = TypeVar("T")


def load_config(
    kind: type[T],
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    prefix: str = "PEPPOL_DPI",
) -> T:
    """``kind`` (a config dataclass) from a ``.toml``/``.json`` file and the environment."""
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise wrong_type("load_config", "kind", "a configuration class (Corner2Config, ...)", kind)
    if path is not None and not isinstance(path, str | os.PathLike):
        raise wrong_type("load_config", "path", "a path or None", path)
    data: dict[str, Any] = {}
    if path is not None:
        raw = read_config_file(Path(path), max_bytes=MAX_CONFIG_BYTES)
        try:
            # JSON read as strictly as any other (a key given twice is refused, not its last
            # value taken); TOML refuses it by its own rules.
            data = (
                jsonparse.loads(raw)
                if Path(path).suffix == ".json"
                else tomllib.loads(raw.decode())
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: {exc}") from None
    marker = prefix.upper() + "__"
    for name, value in (env or {}).items():
        if not name.upper().startswith(marker):
            continue
        keys = [k.lower() for k in name[len(marker) :].split("__")]
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise UsageError(f"{name}: {key} is not a section")
        node[keys[-1]] = value
    return _build(kind, data, "")


def _build(kind: type[T], data: object, where: str) -> T:
    if not isinstance(data, dict):
        raise UsageError(f"{where or 'config'}: expected a table")
    hints = typing.get_type_hints(kind)
    fields = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    unknown = set(data) - fields
    if unknown:
        raise UsageError(f"{where or 'config'}: unknown keys {sorted(unknown)}")
    values = {name: _convert(hints[name], value, f"{where}{name}") for name, value in data.items()}
    try:
        return kind(**values)
    except TypeError as exc:
        raise UsageError(f"{where or 'config'}: {exc}") from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value == "" and type(None) in args):
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, value, f"{where}.")
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise UsageError(f"{where}: expected a list")
        return tuple(_convert(args[0], item, where) for item in items if item != "")
    if origin is dict:
        if isinstance(value, str):  # from the environment: a JSON object
            try:
                value = jsonparse.loads(value)
            except ValueError:
                raise UsageError(f"{where}: expected a JSON object") from None
        if not isinstance(value, dict):
            raise UsageError(f"{where}: expected a table")
        return {str(k): _convert(args[1], v, where) for k, v in value.items()}
    if hint is bool:
        if isinstance(value, str):
            if value.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                raise UsageError(f"{where}: expected true or false")
            return value.lower() in {"true", "1", "yes"}
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true or false")
        return value
    if hint in (int, float):
        # int() would cut 8080.5 to 8080 and take true as 1: neither is what was meant.
        if isinstance(value, bool) or (
            hint is int and isinstance(value, float) and not value.is_integer()
        ):
            raise UsageError(f"{where}: expected {'an integer' if hint is int else 'a number'}")
        try:
            return hint(value)
        except (TypeError, ValueError):
            raise UsageError(f"{where}: expected a number") from None
    if hint is Path:
        return Path(str(value))
    if hint is str:
        if not isinstance(value, str):
            raise UsageError(f"{where}: expected a string")
        return value
    raise UsageError(f"{where}: unsupported configuration type {hint!r}")
