"""Options several commands share (docs/cli.md, "General rules"): keys, trust, ``--at``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from cryptography import x509

from ..errors import UsageError
from ..keys import LocalPrivateKey, load_certificate, load_certificates, load_private_key
from ..keystore import load_key_file
from ..trust import RevocationMode, TrustPolicy
from .common import read_input

__all__ = [
    "add_key_options",
    "add_trust_options",
    "instant",
    "load_key",
    "trust_policy",
]


def add_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key", required=True, help="private key: PEM, PKCS#12 or JKS (then --password)"
    )
    parser.add_argument("--password", help="password of a PKCS#12 or JKS key file")
    parser.add_argument("--cert", help="certificate (PEM or DER); optional for PKCS#12 and JKS")


def load_key(args: argparse.Namespace) -> LocalPrivateKey:
    """The key of ``--key`` (with ``--password``) and its certificate (``--cert`` or in-file)."""
    password = args.password.encode("utf-8") if args.password is not None else None
    data = read_input(args.key)
    if args.cert is None:
        return load_key_file(data, password)
    cert = load_certificate(read_input(args.cert))
    if b"-----BEGIN" in data and b"CERTIFICATE-----" not in data:
        return LocalPrivateKey(key=load_private_key(data, password), certificate=cert)
    key = load_key_file(data, password)
    if cert != key.certificate:
        raise UsageError(f"{args.cert} is not the certificate of the key in {args.key}")
    return key


def add_trust_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust", action="append", default=[], help="trust anchors (PEM, repeatable)"
    )
    parser.add_argument("--at", help="validate certificates at this ISO-8601 instant")
    parser.add_argument(
        "--revocation",
        choices=[m.value for m in RevocationMode],
        help="revocation checking (default require; off with --at)",
    )


def instant(text: str | None) -> datetime | None:
    """An ISO-8601 instant; without an offset it is taken as UTC."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"expected an ISO-8601 instant, not {text!r}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def trust_policy(args: argparse.Namespace, at: datetime | None) -> TrustPolicy | None:
    """The policy of ``--trust``/``--revocation``; None without ``--trust`` (docs/cli.md:
    the cryptography only, ``"trusted": null``)."""
    if not args.trust:
        return None
    anchors: list[x509.Certificate] = []
    for path in args.trust:
        anchors.extend(load_certificates(read_input(path)))
    default = RevocationMode.OFF if at is not None else RevocationMode.REQUIRE
    mode = RevocationMode(args.revocation) if args.revocation else default
    return TrustPolicy(anchors=tuple(anchors), revocation=mode)
