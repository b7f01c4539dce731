"""The parties around the access points in the transport tests: a Maskinporten-like token
issuer (real RS256 tokens with the fixtures PKI's Maskinporten key), the DPI letters and receipts
corner 1 and corner 4 make (with peppol_dpi.dpi's own recipes), and a recording corner 4.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from peppol_dpi.certinfo import norwegian_org_number
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.dpi.jws import decode_unverified
from peppol_dpi.dpi.mailbox import receipt
from peppol_dpi.dpi.message import BusinessMessage, parse_business_message
from peppol_dpi.dpi.sender import DigitalRecipient, Ids, Sender, digital_message, outgoing
from peppol_dpi.dpi.signed import sign_business_message
from peppol_dpi.errors import InputError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.transport.http import Request, Response, parse_form_data, wsgi_app
from peppol_dpi.transport.server import WsgiServer

SENDER_ORG = "991825827"  # Digdir (dpi.md samples)
OTHER_ORG = "910076787"
PROCESSOR_ORG = "810969342"
MAILBOX_ORG = "984661185"  # Posten/Digipost
ISSUER = "https://maskinporten.test/"
STANDARD = "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:{}::1.0"
PROCESS = "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:{}:ver1.0"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- keys ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyPair:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def make_key(common_name: str, org: str | None = None) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, org))
    name = x509.Name(attrs)
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


# -- Maskinporten ----------------------------------------------------------------------------
@dataclass
class Maskinporten:
    """Issues tokens like Maskinporten (dpi.md 5) and publishes its JWKS."""

    keys: KeyPair
    issuer: str = ISSUER
    kid: str = "mp-test-1"

    @property
    def jwks(self) -> dict[str, Any]:
        numbers = self.keys.key.public_key().public_numbers()

        def b64(n: int) -> str:
            raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": self.kid,
                    "use": "sig",
                    "alg": "RS256",
                    "n": b64(numbers.n),
                    "e": b64(numbers.e),
                }
            ]
        }

    def token(
        self,
        consumer: str = SENDER_ORG,
        *,
        supplier: str | None = None,
        scope: str = "digitalpostinnbygger:send",
        lifetime: int = 120,
        issuer: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = int(utcnow().timestamp())
        claims: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "client_id": f"client-{consumer}",
            "scope": scope,
            "token_type": "Bearer",
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
            "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{consumer}"},
        }
        claims.update(extra or {})
        if supplier:
            claims["supplier"] = {"authority": "iso6523-actorid-upis", "ID": f"0192:{supplier}"}
        return jwt.encode(
            claims, key or self.keys.key, algorithm="RS256", headers={"kid": self.kid}
        )


# -- letters and receipts (peppol_dpi.dpi recipes) ------------------------------------------
MAILBOX_ADDRESS = "ola.nordmann#9YDT"


@dataclass(frozen=True)
class Letter:
    jws: str
    package: bytes
    message_id: str
    conversation_id: str


def letter(
    signer: LocalPrivateKey,
    *,
    token: str,
    package: bytes,
    organisation: str = SENDER_ORG,
    processor: str | None = None,
    receiver: str = MAILBOX_ORG,
    message_id: str | None = None,
    avsenderidentifikator: str | None = None,
) -> Letter:
    """A signed ``digital`` business message for ``package`` (dpi.sender recipes)."""
    sender = Sender(
        key=signer,
        organisation=ParticipantId.norwegian(organisation),
        processor=ParticipantId.norwegian(processor) if processor else None,
        avsenderidentifikator=avsenderidentifikator,
    )
    ids = Ids(message_id=uuid.UUID(message_id)) if message_id else Ids()
    message = digital_message(
        sender=sender,
        recipient=DigitalRecipient(
            postkasseadresse=MAILBOX_ADDRESS, provider=ParticipantId.norwegian(receiver)
        ),
        package=package,
        token=token,
        title="Vedtak",
        created=utcnow(),
        ids=ids,
    )
    parts = outgoing(message, package, sender)
    return Letter(
        jws=parts.forretningsmelding.decode("ascii"),
        package=package,
        message_id=str(message.message_id),
        conversation_id=str(message.conversation_id),
    )


def sign_as(message: BusinessMessage, key: LocalPrivateKey) -> str:
    """The JWS of ``message`` signed by any key (to make a wrongly signed letter)."""
    return sign_business_message(message, key).decode("ascii")


def receipt_for(
    jws: str, provider: LocalPrivateKey, *, kind: MessageType = MessageType.LEVERINGSKVITTERING
) -> tuple[str, str]:
    """The signed receipt corner 4 sends for the letter ``jws`` (dpi.mailbox.receipt)."""
    original = parse_business_message(decode_unverified(jws))
    provider_org = ParticipantId.norwegian(norwegian_org_number(provider.certificate) or "")
    message_id = uuid.uuid4()
    answer = receipt(
        original, message_type=kind, provider=provider_org, created=utcnow(), message_id=message_id
    )
    return sign_business_message(answer, provider).decode("ascii"), str(message_id)


# -- corner 4 --------------------------------------------------------------------------------
class RecordingCorner4:
    """A corner 4 on loopback: keeps every distinct message id, counts every POST."""

    def __init__(
        self,
        check: Callable[[bytes, bytes | None], None] | None = None,
        *,
        spool_dir: Path | None = None,
    ) -> None:
        self.check = check  # runs what a mailbox checks; an error answers 400 (refused)
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()
        self.delivered: dict[str, tuple[str, bytes | None]] = {}
        self.fail_next = 0
        self.server = WsgiServer(wsgi_app(self._handle, max_body=64 << 20, spool_dir=spool_dir))
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.url + "/deliver"

    def _handle(self, request: Request) -> Response:
        key = request.header("Idempotency-Key") or ""
        parts = parse_form_data(request.header("Content-Type"), request.body)
        if self.check is not None:
            try:
                self.check(parts["forretningsmelding"], parts.get("dokumentpakke"))
            except InputError as exc:
                return Response(status=400, body=str(exc).encode())
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return Response(status=503)
            self.posts[key] += 1
            self.delivered.setdefault(
                key, (parts["forretningsmelding"].decode(), parts.get("dokumentpakke"))
            )
        return Response(status=200)

    def stop(self) -> None:
        self.server.stop()
