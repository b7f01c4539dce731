"""Stand-ins for the format modules behind the transport's protocols, and a recording corner 4.

They keep the transport tests about the transport: durability, retries, duplicates, ownership.
Signatures in the business messages and Maskinporten tokens are real (RS256 with PyJWT); the
AS4 and payload stand-ins are plain JSON so a test can see and tamper with what travels.
The end-to-end tests with the real AS4/DPI modules live in test_transport_e2e.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from peppol_dpi.errors import EbmsError, InputError, RemoteError
from peppol_dpi.ids import DocumentTypeId, ParticipantId, ProcessId
from peppol_dpi.transport.http import Request, Response, parse_form_data, wsgi_app
from peppol_dpi.transport.ports import (
    Endpoint,
    OpenedAs4,
    ReadBusinessMessage,
    ReadReceipt,
    SentAs4,
    UnwrappedPayload,
)
from peppol_dpi.transport.server import WsgiServer
from peppol_dpi.transport.wire import WireMessage

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
        if supplier:
            claims["supplier"] = {"authority": "iso6523-actorid-upis", "ID": f"0192:{supplier}"}
        return jwt.encode(
            claims, key or self.keys.key, algorithm="RS256", headers={"kid": self.kid}
        )


# -- business messages -----------------------------------------------------------------------
def business_message(
    signer: KeyPair,
    *,
    token: str,
    package: bytes,
    sender: str = SENDER_ORG,
    avsender: str | None = None,
    receiver: str = MAILBOX_ORG,
    message_id: str | None = None,
    conversation_id: str | None = None,
    avsenderidentifikator: str | None = None,
    kind: str = "digital",
) -> tuple[str, str]:
    """A signed ``digital`` SBD like dpi.md 1.4 (JWS, header x5c + RS256); returns (jws, id)."""
    message_id = message_id or str(uuid.uuid4())
    avsender_obj: dict[str, Any] = {
        "virksomhetsidentifikator": {
            "authority": "iso6523-actorid-upis",
            "value": f"0192:{avsender or sender}",
        }
    }
    if avsenderidentifikator:
        avsender_obj["avsenderidentifikator"] = avsenderidentifikator
    sbd = {
        "standardBusinessDocument": {
            "standardBusinessDocumentHeader": {
                "headerVersion": "1.0",
                "sender": [
                    {"identifier": {"authority": "iso6523-actorid-upis", "value": f"0192:{sender}"}}
                ],
                "receiver": [
                    {
                        "identifier": {
                            "authority": "iso6523-actorid-upis",
                            "value": f"0192:{receiver}",
                        }
                    }
                ],
                "documentIdentification": {
                    "standard": STANDARD.format(kind),
                    "typeVersion": "1.0",
                    "instanceIdentifier": message_id,
                    "type": kind,
                    "creationDateAndTime": utcnow().isoformat(),
                },
                "businessScope": {
                    "scope": [
                        {
                            "type": "ConversationId",
                            "instanceIdentifier": conversation_id or str(uuid.uuid4()),
                            "identifier": PROCESS.format(kind),
                        }
                    ]
                },
            },
            kind: {
                "avsender": avsender_obj,
                "mottaker": {"postkasseadresse": "ola.nordmann#9YDT"},
                "dokumentpakkefingeravtrykk": {
                    "digestMethod": "http://www.w3.org/2001/04/xmlenc#sha256",
                    "digestValue": base64.b64encode(hashlib.sha256(package).digest()).decode(),
                },
                "maskinportentoken": token,
                "sikkerhetsnivaa": 3,
                "ikkesensitivtittel": "Test",
                "spraak": "no",
            },
        }
    }
    return _sign(signer, sbd), message_id


def receipt_message(
    signer: KeyPair, *, original: str, kind: str = "leveringskvittering"
) -> tuple[str, str]:
    """A signed receipt answering the business message ``original`` (dpi.md 1.7)."""
    header = _payload(original)["standardBusinessDocument"]["standardBusinessDocumentHeader"]
    receipt_id = str(uuid.uuid4())
    sbd = {
        "standardBusinessDocument": {
            "standardBusinessDocumentHeader": {
                "headerVersion": "1.0",
                "sender": header["receiver"],
                "receiver": header["sender"],
                "documentIdentification": {
                    "standard": STANDARD.format(kind),
                    "typeVersion": "1.0",
                    "instanceIdentifier": receipt_id,
                    "type": kind,
                    "creationDateAndTime": utcnow().isoformat(),
                },
                "businessScope": header["businessScope"],
            },
            kind: {
                "avsender": {"virksomhetsidentifikator": header["receiver"][0]["identifier"]},
                "mottaker": {"virksomhetsidentifikator": header["sender"][0]["identifier"]},
                "tidspunkt": utcnow().isoformat(),
            },
        }
    }
    return _sign(signer, sbd), receipt_id


def _sign(signer: KeyPair, sbd: dict[str, Any]) -> str:
    x5c = base64.b64encode(signer.certificate.public_bytes(serialization.Encoding.DER)).decode()
    return jwt.encode(sbd, signer.key, algorithm="RS256", headers={"x5c": [x5c]})


def _payload(jws: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(jws.split(".")[1] + "=="))


class JwsReader:
    """A BusinessMessageReader: RS256 JWS with x5c, signer pinned to ``trusted`` certificates."""

    def __init__(self, trusted: list[x509.Certificate]) -> None:
        self.trusted = trusted

    def _verify(self, jws: str) -> tuple[dict[str, Any], x509.Certificate]:
        try:
            header = jwt.get_unverified_header(jws)
            cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        except Exception:
            raise InputError("not a JWS with x5c", rule="dpi:jws-format") from None
        if cert not in self.trusted:
            raise InputError("signer not trusted", rule="dpi:jws-untrusted")
        try:
            sbd = jwt.decode(
                jws,
                cert.public_key(),
                algorithms=["RS256", "RS384", "RS512"],
                options={"verify_aud": False},
            )  # type: ignore[arg-type]
        except jwt.PyJWTError as exc:
            raise InputError(f"JWS does not verify: {exc}", rule="dpi:jws-signature") from None
        return sbd["standardBusinessDocument"], cert

    def read_message(self, jws: str, *, now: dt.datetime) -> ReadBusinessMessage:
        sbd, cert = self._verify(jws)
        header = sbd["standardBusinessDocumentHeader"]
        ident = header["documentIdentification"]
        kind = ident["type"]
        body = sbd.get(kind)
        if not isinstance(body, dict) or "maskinportentoken" not in body:
            raise InputError(f"no {kind} body with maskinportentoken", rule="dpi:schema")
        avsender = body["avsender"]
        org_attr = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        return ReadBusinessMessage(
            message_id=ident["instanceIdentifier"],
            conversation_id=header["businessScope"]["scope"][0]["instanceIdentifier"],
            type=kind,
            sender=ParticipantId.parse(header["sender"][0]["identifier"]["value"]),
            receiver=ParticipantId.parse(header["receiver"][0]["identifier"]["value"]),
            avsender=ParticipantId.parse(avsender["virksomhetsidentifikator"]["value"]),
            avsenderidentifikator=avsender.get("avsenderidentifikator"),
            fingerprint=base64.b64decode(body["dokumentpakkefingeravtrykk"]["digestValue"]),
            maskinportentoken=body["maskinportentoken"],
            signer_org=str(org_attr[0].value) if org_attr else None,
            document_type=DocumentTypeId(value=STANDARD.format(kind)),
            process=ProcessId(value=PROCESS.format(kind)),
        )

    def read_receipt(self, jws: str, *, now: dt.datetime) -> ReadReceipt:
        sbd, _ = self._verify(jws)
        header = sbd["standardBusinessDocumentHeader"]
        ident = header["documentIdentification"]
        scope = header["businessScope"]["scope"][0]
        return ReadReceipt(
            message_id=ident["instanceIdentifier"],
            conversation_id=scope["instanceIdentifier"],
            type=ident["type"],
            sender=ParticipantId.parse(header["sender"][0]["identifier"]["value"]),
            receiver=ParticipantId.parse(header["receiver"][0]["identifier"]["value"]),
            motakeridentifikator=None,
            document_type=DocumentTypeId(value=STANDARD.format(ident["type"])),
            process=ProcessId(value=scope["identifier"]),
        )


# -- AS4 and payload stand-ins ---------------------------------------------------------------
class JsonPayloads:
    """PayloadCodec stand-in: {"jws": ..., "package": base64} instead of Innbyggerpost XML."""

    def wrap(self, *, business_message: str, package: bytes | None, **_: Any) -> bytes:
        return json.dumps(
            {
                "jws": business_message,
                "package": base64.b64encode(package).decode() if package is not None else None,
            }
        ).encode()

    def unwrap(self, payload: bytes) -> UnwrappedPayload:
        data = json.loads(payload)
        return UnwrappedPayload(
            business_message=data["jws"],
            package=base64.b64decode(data["package"]) if data["package"] is not None else None,
        )


@dataclass
class JsonAs4:
    """As4Codec stand-in: a JSON envelope; the receipt names the message id it answers."""

    party: str
    built: Counter[str] = field(default_factory=Counter)

    def build(self, *, payload: bytes, conversation_id: str, **_: Any) -> SentAs4:
        message_id = f"{uuid.uuid4()}@{self.party}"
        self.built[message_id] += 1
        body = json.dumps(
            {
                "id": message_id,
                "from": self.party,
                "conversation": conversation_id,
                "payload": base64.b64encode(payload).decode(),
            }
        ).encode()
        return SentAs4(
            message_id=message_id,
            wire=WireMessage(headers=(("Content-Type", "application/json"),), body=body),
        )

    def check_response(
        self, *, sent: WireMessage, status: int, response: WireMessage, **_: Any
    ) -> None:
        data = json.loads(response.body)
        if "error" in data:
            raise RemoteError(
                data["detail"], rule="as4:error-signal", ebms_code=EbmsError(data["error"])
            )
        if data.get("receipt_for") != json.loads(sent.body)["id"]:
            raise InputError(
                "receipt for another message",
                rule="as4:receipt",
                ebms_code=EbmsError.INVALID_RECEIPT,
            )

    def open(self, request: WireMessage) -> OpenedAs4:
        try:
            data = json.loads(request.body)
            return OpenedAs4(
                message_id=data["id"],
                from_party=data["from"],
                payload=base64.b64decode(data["payload"]),
                context=None,
            )
        except (ValueError, KeyError):
            raise InputError(
                "not a JSON AS4 stand-in", rule="as4:format", ebms_code=EbmsError.INVALID_HEADER
            ) from None

    def receipt(self, opened: OpenedAs4) -> WireMessage:
        body = json.dumps(
            {"receipt_for": opened.message_id, "receipt_id": f"{uuid.uuid4()}@{self.party}"}
        ).encode()
        return WireMessage(headers=(("Content-Type", "application/json"),), body=body)

    def error(self, error: InputError, ref_to_message_id: str | None) -> tuple[int, WireMessage]:
        code = (error.ebms_code or EbmsError.OTHER).code
        body = json.dumps(
            {"error": code, "detail": error.message, "ref": ref_to_message_id}
        ).encode()
        return 200, WireMessage(headers=(("Content-Type", "application/json"),), body=body)


@dataclass
class StaticLocator:
    """EndpointLocator stand-in: participant value -> URL (one certificate for all)."""

    certificate: x509.Certificate
    urls: dict[str, str] = field(default_factory=dict)

    def locate(
        self, participant: ParticipantId, document_type: DocumentTypeId, process: ProcessId
    ) -> Endpoint:
        url = self.urls.get(participant.value)
        if url is None:
            raise InputError(f"{participant.value} not registered", rule="smp:not-found")
        return Endpoint(url=url, certificate=self.certificate)


# -- corner 4 --------------------------------------------------------------------------------
class RecordingCorner4:
    """A corner 4 on loopback: keeps every distinct message id, counts every POST."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()
        self.delivered: dict[str, tuple[str, bytes | None]] = {}
        self.fail_next = 0
        self.server = WsgiServer(wsgi_app(self._handle, max_body=64 << 20))
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.url + "/deliver"

    def _handle(self, request: Request) -> Response:
        key = request.header("Idempotency-Key") or ""
        parts = parse_form_data(request.header("Content-Type"), request.body)
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
