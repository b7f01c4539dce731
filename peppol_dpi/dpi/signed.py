"""Signed DPI business messages: the JWS whose payload is the JSON business message.

:func:`sign_business_message` gives the compact JWS that goes into ``POST /messages/out`` as
the ``forretningsmelding`` part. :func:`verify_business_message` is what a receiver (a mailbox,
or a sender reading its receipts) runs: the JWS, the message rules, that the signer is the
SBDH sender, and given the package, its fingerprint (docs/dpi.md, "What corner 4 checks").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from cryptography import x509

from ..arguments import require_binary_file, require_instance, require_limits, require_time
from ..errors import SignatureError, UsageError
from ..keys import PrivateKey, require_key
from ..limits import DEFAULT_LIMITS, Limits
from ..spool import copy_chunks
from ..trust import TrustPolicy, require_trust, subject_of
from .jws import JwsAlgorithm, VerifiedJws, sign_jws, verify_jws
from .message import BusinessMessage, parse_business_message

__all__ = [
    "MessageSignatureError",
    "SignedBusinessMessage",
    "check_fingerprint",
    "sign_business_message",
    "verify_business_message",
]


class MessageSignatureError(SignatureError):
    """The signed message is not what it must be: wrong signer, wrong package fingerprint."""

    default_ebms_code = None  # type: ignore[assignment]  # not AS4: the rule says it


@dataclass(frozen=True, kw_only=True)
class SignedBusinessMessage:
    """A verified business message. Keep ``token``: Digdir recommends archiving the whole
    signed receipt as proof."""

    token: bytes
    message: BusinessMessage
    jws: VerifiedJws

    @property
    def signer(self) -> x509.Certificate:
        return self.jws.signer

    @property
    def trusted(self) -> bool | None:
        return self.jws.trusted


def sign_business_message(
    message: BusinessMessage, key: PrivateKey, *, algorithm: JwsAlgorithm = JwsAlgorithm.RS256
) -> bytes:
    """The compact JWS of the message's JSON bytes, signed by ``key`` (its certificate goes in
    ``x5c``). The key must be the SBDH sender's: the legal sender's or its data processor's
    business certificate, the same that signs the document package."""
    caller = "sign_business_message"
    require_instance(message, BusinessMessage, caller=caller, name="message")
    require_key(key, caller=caller)
    require_instance(algorithm, JwsAlgorithm, caller=caller, name="algorithm")
    return sign_jws(message.to_bytes(), key, algorithm=algorithm)


def check_fingerprint(message: BusinessMessage, package: bytes | IO[bytes]) -> None:
    """Raise :class:`~peppol_dpi.errors.SignatureError` unless the message's
    ``dokumentpakkefingeravtrykk`` is the SHA-256 of exactly these package (CMS) bytes.

    ``package`` is the bytes, or a seekable binary file: hashed in chunks from its current
    position to its end, and left at that position again."""
    fingerprint = getattr(message.body, "dokumentpakkefingeravtrykk", None)
    if fingerprint is None:
        raise UsageError(f"a {message.type} message refers to no document package")
    if not fingerprint.matches_digest(_sha256(package)):
        raise MessageSignatureError(
            "the document package does not match the message's dokumentpakkefingeravtrykk",
            rule="dpi:fingerprint",
        )


def _sha256(package: bytes | IO[bytes]) -> bytes:
    if isinstance(package, bytes):
        return hashlib.sha256(package).digest()
    start = package.tell()
    digest = hashlib.sha256()
    for piece in copy_chunks(package):
        digest.update(piece)
    package.seek(start)
    return digest.digest()


def verify_business_message(
    token: bytes | str,
    *,
    trust: TrustPolicy | None,
    at: datetime | None = None,
    package: bytes | None = None,
    require_signer_is_sender: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> SignedBusinessMessage:
    """Verify a signed business message of any type, receipts included.

    Checks the JWS (and, with ``trust``, its signer certificate at ``at``), every rule of the
    message, that the signer certificate's organisation number is the SBDH sender's (unless
    ``require_signer_is_sender`` is False), and given ``package``, its fingerprint.
    """
    caller = "verify_business_message"
    require_instance(token, (bytes, str), caller=caller, name="token", expected="bytes or a str")
    require_trust(trust, caller=caller, optional=True)
    require_time(at, caller=caller, name="at", optional=True)
    require_instance(require_signer_is_sender, bool, caller=caller, name="require_signer_is_sender")
    require_limits(limits, caller=caller)
    if package is not None and not isinstance(package, bytes):
        require_binary_file(
            package, caller=caller, name="package", expected="bytes, a binary file or None"
        )
    jws = verify_jws(token, trust=trust, at=at, limits=limits)
    message = parse_business_message(jws.payload, limits=limits)
    if require_signer_is_sender and jws.signer_org_number != message.sender.org_number:
        raise MessageSignatureError(
            f"the message is signed by {subject_of(jws.signer)} (organisation number "
            f"{jws.signer_org_number}), not by its SBDH sender {message.sender.value}",
            rule="dpi:signer",
        )
    if package is not None:
        check_fingerprint(message, package)
    data = token if isinstance(token, bytes) else token.encode("ascii", "replace")
    return SignedBusinessMessage(token=data.strip(), message=message, jws=jws)
