"""``peppol-dpi lookup`` and ``peppol-dpi smp verify`` (docs/cli.md, "Lookup")."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

import dns.resolver
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import UsageError
from ..ids import DocumentTypeId, ParticipantId, ProcessId
from ..instants import is_aware
from ..keys import load_certificates
from ..limits import DEFAULT_LIMITS
from ..lookup.discovery import discover_endpoint
from ..lookup.sml import sml_zone
from ..lookup.smp import Endpoint, Redirect, ServiceMetadata, TransportProfile
from ..lookup.smp_client import SmpClient
from ..lookup.smp_verify import VerifiedServiceMetadata, verify_service_metadata
from ..revocation import RevocationSettings, revocation_checker
from ..trust import RevocationMode, TrustPolicy, subject_of
from .common import print_json, read_input, read_key_file

__all__ = ["register"]


def _add_trust_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="FILE",
        help="trust anchors (PEM, repeatable)",
    )
    parser.add_argument("--at", metavar="ISO-8601", help="validate certificates at this instant")
    parser.add_argument(
        "--revocation",
        choices=[m.value for m in RevocationMode],
        help="revocation checking (default: require; off with --at)",
    )
    parser.add_argument(
        "--allow-sha1", action="store_true", help="accept SHA-1 signatures (legacy SMPs)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def register(commands: Any) -> None:
    lookup = commands.add_parser("lookup", help="find a participant's endpoint through SML and SMP")
    lookup.add_argument("participant", metavar="PID")
    lookup.add_argument("--document-type", required=True, metavar="DOCID")
    lookup.add_argument("--process", metavar="PROCID")
    lookup.add_argument(
        "--sml",
        default="peppol-prod",
        metavar="ZONE",
        help="preset (peppol-prod, peppol-test, elma-prod, elma-test) or a DNS zone",
    )
    lookup.add_argument(
        "--dns", metavar="HOST:PORT", help="ask this DNS server instead of the system's"
    )
    lookup.add_argument("--smp-url", metavar="URL", help="skip the SML and ask this SMP")
    lookup.add_argument("--transport-profile", default=TransportProfile.PEPPOL_AS4_V2.value)
    lookup.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per DNS or HTTP exchange"
    )
    _add_trust_options(lookup)
    lookup.set_defaults(handler=_lookup)

    smp = commands.add_parser("smp", help="SMP documents")
    smp_commands = smp.add_subparsers(dest="smp_command", metavar="COMMAND", parser_class=type(smp))
    smp_commands.required = True
    verify = smp_commands.add_parser("verify", help="verify a saved signed SMP answer")
    verify.add_argument("file", metavar="FILE")
    verify.add_argument("--timeout", type=float, default=10.0, help="seconds per revocation check")
    _add_trust_options(verify)
    verify.set_defaults(handler=_verify)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at {text!r} is not an ISO-8601 instant") from None
    if not is_aware(value):
        raise UsageError("--at needs a time zone offset (for example 2020-06-01T00:00:00Z)")
    return value


def _trust(args: argparse.Namespace, session: requests.Session) -> TrustPolicy | None:
    """The TrustPolicy of ``--trust``/``--revocation``/``--at``, checking revocation (OCSP,
    then CRL) over ``session`` unless it is off (docs/cli.md: off by default with ``--at``)."""
    if not args.trust:
        return None
    anchors: list[x509.Certificate] = []
    for path in args.trust:
        anchors.extend(load_certificates(read_key_file(path)))
    default = RevocationMode.OFF if args.at else RevocationMode.REQUIRE
    mode = RevocationMode(args.revocation) if args.revocation else default
    checker = None
    if mode is not RevocationMode.OFF:
        settings = RevocationSettings(timeout=args.timeout, allow_sha1=args.allow_sha1)
        checker = revocation_checker(session, settings=settings)
    return TrustPolicy(
        anchors=tuple(anchors),
        revocation=mode,
        revocation_checker=checker,
        allow_sha1=args.allow_sha1,
    )


def _resolver(dns_server: str | None, timeout: float) -> dns.resolver.Resolver:
    if dns_server is None:
        resolver = dns.resolver.Resolver()
    else:
        host, sep, port = dns_server.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise UsageError(f"--dns {dns_server!r} is not HOST:PORT")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host.strip("[]")]
        resolver.port = int(port)
    resolver.lifetime = timeout
    return resolver


def _pem(certificate: x509.Certificate | None) -> str | None:
    return certificate.public_bytes(Encoding.PEM).decode("ascii") if certificate else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "transport_profile": endpoint.transport_profile,
        "endpoint_url": endpoint.url,
        "certificate": _pem(endpoint.certificate),
        "certificate_subject": subject_of(endpoint.certificate) if endpoint.certificate else None,
        "activation": _iso(endpoint.activation),
        "expiration": _iso(endpoint.expiration),
    }


def _signature_json(verified: VerifiedServiceMetadata) -> dict[str, Any]:
    return {
        "signer": subject_of(verified.signer),
        "trusted": verified.trusted,
        "signature_method": verified.signature.signature_method.value,
    }


def _print_human(fields: dict[str, Any]) -> None:
    # In words, as the other verifying commands write them: no Python True, None or dicts.
    for key, raw in fields.items():
        value = raw
        if key == "trusted":
            value = "yes" if raw else "not checked (no --trust)"
        elif key == "redirect":
            value = f"{raw['url']} (certificate {raw['certificate_uid']})"
        elif raw is None:
            value = "-"
        if isinstance(value, str) and "\n" in value:
            sys.stdout.write(f"{key}:\n{value}")
        else:
            sys.stdout.write(f"{key}: {value}\n")


def _lookup(args: argparse.Namespace) -> int:
    participant = ParticipantId.parse(args.participant)
    document_type = DocumentTypeId.parse(args.document_type)
    process = ProcessId.parse(args.process) if args.process else None
    zone = sml_zone(args.sml)
    with requests.Session() as session:
        client = SmpClient(
            session=session,
            trust=_trust(args, session),
            allow_sha1=args.allow_sha1,
            timeout=(min(5.0, args.timeout), args.timeout),
        )
        found = discover_endpoint(
            participant,
            document_type,
            process=process,
            smp=client,
            zone=zone,
            resolver=_resolver(args.dns, args.timeout),
            smp_url=args.smp_url,
            transport_profile=args.transport_profile,
            at=_instant(args.at),
            dns_timeout=args.timeout,
        )
    result = {
        "participant": str(participant),
        "document_type": str(document_type),
        "process": str(process) if process else None,
        "smp_url": found.smp_url,
        **_endpoint_json(found.endpoint),
        **_signature_json(found.metadata),
    }
    if args.json:
        print_json(result)
    else:
        _print_human(result)
    return 0


def _verify(args: argparse.Namespace) -> int:
    with requests.Session() as session:
        verified = verify_service_metadata(
            read_input(
                args.file,
                max_bytes=DEFAULT_LIMITS.max_http_response_bytes,  # as the client reads one
                what="an SMP answer",
            ),
            trust=_trust(args, session),
            at=_instant(args.at),
            allow_sha1=args.allow_sha1,
        )
    content = verified.content
    result: dict[str, Any] = _signature_json(verified)
    if isinstance(content, Redirect):
        result["redirect"] = {"url": content.url, "certificate_uid": content.certificate_uid}
    else:
        assert isinstance(content, ServiceMetadata)
        result["participant"] = str(content.participant)
        result["document_type"] = str(content.document_type)
        result["processes"] = [
            {"process": str(p.process), "endpoints": [_endpoint_json(e) for e in p.endpoints]}
            for p in content.processes
        ]
    if args.json:
        print_json(result)
    else:
        _print_human({k: v for k, v in result.items() if k != "processes"})
        for process in result.get("processes", []):
            for endpoint in process["endpoints"]:
                sys.stdout.write(
                    f"endpoint: {process['process']} {endpoint['transport_profile']} {endpoint['endpoint_url']}\n"
                )
    return 0
