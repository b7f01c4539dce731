"""SML / BDXL: from a participant identifier to the base URL of its SMP, through DNS.

Two name constructions exist (peppol.md 3.1):

* U-NAPTR (Peppol SML 1.3 / BDXL, mandatory since 2025-11-01):
  ``base32(SHA-256(lower(value)))`` without padding, lower-cased, then
  ``.<scheme>.<zone>``; the NAPTR record with flag ``U`` and service ``Meta:SMP`` gives the
  SMP URL by regexp substitution (RFC 4848).
* Legacy CNAME (until 2025-10-31): ``B-<hex MD5(lower(value))>.<scheme>.<zone>``, and the SMP is
  ``http://<that name>/``.

The resolver is the caller's (``dns.resolver.Resolver``); nothing here opens a socket by itself.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from ..arguments import require_instance
from ..errors import UsageError
from ..ids import ParticipantId
from ..limits import DEFAULT_LIMITS
from .errors import LookupTimeoutError, NotRegisteredError, SmlError
from .naptr import NaptrRecord, parse_substitution

__all__ = [
    "SML_PRESETS",
    "SmlZone",
    "Stage",
    "legacy_cname_name",
    "naptr_name",
    "resolve_legacy_smp_url",
    "resolve_smp_url",
    "select_smp_url",
    "sml_zone",
]

#: RFC 4848 / Peppol SML 1.3: the NAPTR service naming an SMP.
SMP_SERVICE = "Meta:SMP"
DEFAULT_DNS_TIMEOUT = float(DEFAULT_LIMITS.max_dns_seconds)
_MAX_DNS_NAME = 253  # RFC 1035 2.3.4 (without the trailing dot)


class Stage(enum.StrEnum):
    """Which Peppol PKI stage a network uses (production or test SMP CA)."""

    PRODUCTION = "production"
    TEST = "test"


@dataclass(frozen=True, kw_only=True)
class SmlZone:
    """An SML DNS zone, and what is expected of the SMPs it points to.

    ``require_https``: Peppol SMP 1.4.0 requires HTTPS since 2026-02-01, so the public zones
    refuse an ``http://`` SMP; a private zone (a local test network) may allow it.
    ``expected_smp``: the SMP the network normally answers with (ELMA for Norwegian
    participants); informational, a lookup never requires it.
    """

    zone: str
    name: str = ""
    stage: Stage = Stage.TEST
    require_https: bool = True
    expected_smp: str | None = None

    def __post_init__(self) -> None:
        zone = self.zone.strip().rstrip(".").lower()
        try:
            dns.name.from_text(zone)
        except dns.exception.DNSException as exc:
            raise UsageError(f"{self.zone!r} is not a DNS zone: {exc}") from None
        if not zone or len(zone) > 200:
            raise UsageError(f"{self.zone!r} is not a usable DNS zone")
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "name", self.name or zone)


# peppol.md 3.1 (peppol-commons ESML) and dpi.md 7: ELMA is an SMP registered in the Peppol
# SML, so a Norwegian participant is found through the Peppol zones like any other; the ELMA
# presets name the same zones and record ELMA's SMP as the expected answer.
SML_PRESETS: dict[str, SmlZone] = {
    "peppol-prod": SmlZone(
        name="peppol-prod", zone="participant.sml.prod.tech.peppol.org", stage=Stage.PRODUCTION
    ),
    "peppol-test": SmlZone(
        name="peppol-test", zone="participant.sml.test.tech.peppol.org", stage=Stage.TEST
    ),
    "elma-prod": SmlZone(
        name="elma-prod",
        zone="participant.sml.prod.tech.peppol.org",
        stage=Stage.PRODUCTION,
        expected_smp="https://smp.elma-smp.no/",
    ),
    "elma-test": SmlZone(
        name="elma-test",
        zone="participant.sml.test.tech.peppol.org",
        stage=Stage.TEST,
        expected_smp="https://test-smp.elma-smp.no/",
    ),
}


def sml_zone(name_or_zone: str) -> SmlZone:
    """A preset by name (``peppol-prod``, ``peppol-test``, ``elma-prod``, ``elma-test``), or any
    other DNS zone (then a private network: ``http://`` SMPs allowed)."""
    require_instance(name_or_zone, str, caller="sml_zone", name="name_or_zone")
    preset = SML_PRESETS.get(name_or_zone)
    if preset is not None:
        return preset
    return SmlZone(zone=name_or_zone, require_https=False)


def _participant_value(participant: ParticipantId) -> bytes:
    # Participant values are case-insensitive (PFUOI 4.4); the hash is over the lower case.
    return participant.value.lower().encode("utf-8")


def _check_name_arguments(caller: str, participant: object, zone: object) -> None:
    # Checked before any query: a str participant has no scheme to hash.
    require_instance(participant, ParticipantId, caller=caller, name="participant")
    require_instance(
        zone, (SmlZone, str), caller=caller, name="zone", expected="an SmlZone or a str"
    )


def naptr_name(participant: ParticipantId, zone: SmlZone | str) -> str:
    """The DNS name queried for NAPTR records (Peppol SML 1.3, BDXL 1.0 section 3.2)."""
    _check_name_arguments("naptr_name", participant, zone)
    digest = hashlib.sha256(_participant_value(participant)).digest()
    label = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return _join(label, participant, zone)


def legacy_cname_name(participant: ParticipantId, zone: SmlZone | str) -> str:
    """The legacy ``B-<md5>`` name (Peppol SML 1.2, retired 2026-02-01)."""
    digest = hashlib.md5(_participant_value(participant), usedforsecurity=False).hexdigest()
    return _join(f"B-{digest}", participant, zone)


def _join(label: str, participant: ParticipantId, zone: SmlZone | str) -> str:
    zone_text = zone.zone if isinstance(zone, SmlZone) else SmlZone(zone=zone).zone
    name = f"{label}.{participant.scheme.value.lower()}.{zone_text}"
    if len(name) > _MAX_DNS_NAME:
        raise UsageError(f"the DNS name for {participant} in {zone_text} is too long")
    return name


def select_smp_url(
    records: Iterable[NaptrRecord], queried_name: str, *, require_https: bool = True
) -> str:
    """The SMP URL from a NAPTR RRset (RFC 4848 section 2; Peppol SML 1.3).

    Keeps records with flag ``U`` and service ``Meta:SMP``, in (order, preference) order, and
    returns the result of the first whose regexp matches the queried name.
    """
    candidates = sorted(
        (r for r in records if r.flags.upper() == "U" and r.service.lower() == SMP_SERVICE.lower()),
        key=lambda r: (r.order, r.preference),
    )
    if not candidates:
        raise NotRegisteredError(
            f"{queried_name} has no NAPTR record with flag U and service {SMP_SERVICE}",
            rule="sml:no-smp-record",
        )
    subject = queried_name.rstrip(".")
    for record in candidates:
        # RFC 4848 2.2: a terminal "U" record has a regexp and an empty (".") replacement.
        if record.replacement not in ("", "."):
            raise SmlError(
                f"U-NAPTR record for {queried_name} has a replacement {record.replacement!r}",
                rule="sml:malformed-naptr",
            )
        url = parse_substitution(record.regexp).apply(subject)
        if url is not None:
            return _check_url(url, queried_name, require_https=require_https)
    raise SmlError(
        f"no Meta:SMP regexp of {queried_name} matches the name", rule="sml:malformed-naptr"
    )


def _check_url(url: str, queried_name: str, *, require_https: bool) -> str:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a bad port
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        raise SmlError(
            f"the NAPTR record of {queried_name} gives {url!r}, not an HTTP(S) URL",
            rule="sml:bad-smp-url",
        )
    if require_https and parts.scheme != "https":
        # Peppol SMP 1.4.0 / SML 1.3.0: SMPs are reached over HTTPS only (since 2026-02-01).
        raise SmlError(
            f"the NAPTR record of {queried_name} gives {url!r}; Peppol requires HTTPS",
            rule="sml:https-required",
        )
    return url


def _query(
    resolver: dns.resolver.Resolver, name: str, rdtype: str, timeout: float
) -> dns.resolver.Answer:
    try:
        return resolver.resolve(name, rdtype, lifetime=timeout, search=False)
    except dns.resolver.NXDOMAIN:
        raise NotRegisteredError(
            f"{name} does not exist in DNS (NXDOMAIN): the participant is not registered",
            rule="sml:nxdomain",
        ) from None
    except dns.resolver.NoAnswer:
        raise NotRegisteredError(f"{name} has no {rdtype} record", rule="sml:no-record") from None
    except dns.resolver.LifetimeTimeout:
        # dnspython drops unparseable UDP replies (they could be spoofed) and waits on.
        raise LookupTimeoutError(
            f"no usable DNS answer for {name} within {timeout} s (none, or only malformed ones)"
        ) from None
    except dns.resolver.NoNameservers as exc:
        raise LookupTimeoutError(f"no usable DNS answer for {name}: {exc}") from None
    except dns.exception.DNSException as exc:
        # FormError, truncated or otherwise unparseable answers.
        raise SmlError(
            f"malformed DNS answer for {name}: {type(exc).__name__}: {exc}",
            rule="sml:malformed-answer",
        ) from None


def resolve_smp_url(
    participant: ParticipantId,
    *,
    zone: SmlZone,
    resolver: dns.resolver.Resolver,
    timeout: float = DEFAULT_DNS_TIMEOUT,
) -> str:
    """The SMP base URL of ``participant`` through a U-NAPTR lookup in ``zone``."""
    _check_name_arguments("resolve_smp_url", participant, zone)
    require_instance(zone, SmlZone, caller="resolve_smp_url", name="zone", expected="an SmlZone")
    require_instance(resolver, dns.resolver.Resolver, caller="resolve_smp_url", name="resolver")
    name = naptr_name(participant, zone)
    answer = _query(resolver, name, "NAPTR", timeout)
    records = []
    for rdata in answer:
        if rdata.rdtype != dns.rdatatype.NAPTR:
            continue
        try:
            records.append(
                NaptrRecord(
                    order=rdata.order,
                    preference=rdata.preference,
                    flags=rdata.flags.decode("ascii"),
                    service=rdata.service.decode("ascii"),
                    regexp=rdata.regexp.decode("utf-8"),
                    replacement=rdata.replacement.to_text(),
                )
            )
        except UnicodeDecodeError:
            raise SmlError(
                f"a NAPTR record of {name} is not text", rule="sml:malformed-naptr"
            ) from None
    return select_smp_url(records, name, require_https=zone.require_https)


def resolve_legacy_smp_url(
    participant: ParticipantId,
    *,
    zone: SmlZone,
    resolver: dns.resolver.Resolver,
    timeout: float = DEFAULT_DNS_TIMEOUT,
) -> str:
    """The SMP URL through the legacy CNAME record.

    Peppol SML 1.2: the ``B-<md5>`` name must exist (as a CNAME onto the SMP host), and the SMP
    is then reached as ``http://<that name>/``, on port 80 at the root path.
    """
    name = legacy_cname_name(participant, zone)
    answer = _query(resolver, name, "CNAME", timeout)
    if len(answer) != 1:
        raise SmlError(f"{name} must have exactly one CNAME target", rule="sml:malformed-answer")
    return _check_url(f"http://{name}/", name, require_https=False)
