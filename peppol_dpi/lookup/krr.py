"""Kontakt- og reservasjonsregisteret (KRR): mailbox, certificate and reservation of citizens.

dpi.md 6 (Digdir ``oppslagstjenesten_rest``, ``krr_attributter``; efm-service-registry's KRR
client): ``POST {base}/rest/v2/personer`` with ``{"personidentifikatorer": [...]}`` (1 to 1000)
and a Maskinporten bearer token (scope ``krr:global/digitalpost.read`` for mailbox and
certificate, ``krr:global/kontaktinformasjon.read`` for e-mail and mobile); ``GET
{base}/rest/v2/printSertifikat`` (no token) for the print provider and its certificate.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from cryptography import x509

from .. import jsonparse
from ..arguments import require_instance, require_texts
from ..errors import InputError, UsageError
from ..ids import ParticipantId, is_valid_norwegian_org_number
from ..keys import load_certificate
from ..limits import DEFAULT_LIMITS, Limits
from .errors import KrrError
from .http import DEFAULT_TIMEOUT, Timeout, exchange, require_session
from .maskinporten import AccessToken

__all__ = [
    "KRR_PRESETS",
    "SCOPE_CONTACT_INFO",
    "SCOPE_DIGITAL_POST",
    "ContactDetails",
    "DigitalMailbox",
    "KrrClient",
    "NotificationStatus",
    "Person",
    "PersonStatus",
    "PrintCertificate",
    "Reservation",
    "parse_person",
]

KRR_PRESETS: dict[str, str] = {
    "prod": "https://kontaktregisteret.no",
    "test": "https://test.kontaktregisteret.no",
}
SCOPE_DIGITAL_POST = "krr:global/digitalpost.read"
SCOPE_CONTACT_INFO = "krr:global/kontaktinformasjon.read"
MAX_PERSONS_PER_CALL = 1000  # oppslagstjenesten_rest: 1..1000 identifiers per request
_PERSON_ID = re.compile(r"[0-9]{11}")  # fødselsnummer or D-nummer


class Reservation(enum.StrEnum):
    YES = "JA"
    NO = "NEI"


class PersonStatus(enum.StrEnum):
    ACTIVE = "AKTIV"
    DELETED = "SLETTET"
    NOT_REGISTERED = "IKKE_REGISTRERT"


class NotificationStatus(enum.StrEnum):
    CAN_BE_NOTIFIED = "KAN_VARSLES"
    CANNOT_BE_NOTIFIED = "KAN_IKKE_VARSLES"


@dataclass(frozen=True, kw_only=True)
class ContactDetails:
    email: str | None = None
    email_updated: datetime | None = None
    email_last_verified: datetime | None = None
    mobile: str | None = None
    mobile_updated: datetime | None = None
    mobile_last_verified: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class DigitalMailbox:
    """Where the citizen's digital post goes: the address at the mailbox provider, and the
    provider (the SBDH receiver, e.g. Digipost 984661185, e-Boks 922020175)."""

    address: str
    provider: ParticipantId

    @property
    def provider_org_number(self) -> str:
        return self.provider.identifier


@dataclass(frozen=True, kw_only=True)
class Person:
    identifier: str
    status: PersonStatus
    reservation: Reservation | None = None
    reservation_time: datetime | None = None
    notification_status: NotificationStatus | None = None
    contact: ContactDetails | None = None
    mailbox: DigitalMailbox | None = None
    certificate: x509.Certificate | None = None
    language: str | None = None

    @property
    def can_receive_digital_post(self) -> bool:
        """efm-service-registry ``canReceiveDigitalPost``: certificate and mailbox present,
        not reserved, active. Otherwise the letter goes to print."""
        return (
            self.certificate is not None
            and self.mailbox is not None
            and self.reservation is Reservation.NO
            and self.status is PersonStatus.ACTIVE
        )


@dataclass(frozen=True, kw_only=True)
class PrintCertificate:
    provider: ParticipantId
    certificate: x509.Certificate


def _bad(message: str) -> KrrError:
    return KrrError(message, rule="krr:answer")


def _str(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad(f"KRR field {name} is not text")
    return value


_E = TypeVar("_E", Reservation, PersonStatus, NotificationStatus)


def _enum(obj: Mapping[str, Any], name: str, kind: type[_E]) -> _E | None:
    value = _str(obj, name)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise _bad(f"KRR field {name} has the unknown value {value!r}") from None


def _time(obj: Mapping[str, Any], name: str) -> datetime | None:
    value = _str(obj, name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(f"KRR field {name} is not a time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _certificate(text: str | None, what: str) -> x509.Certificate | None:
    # dpi.md 6: almost certainly PEM text; bare base64 DER is accepted too.
    if text is None:
        return None
    data = text.encode("ascii", "replace")
    if b"-----BEGIN" not in data:
        data = b"-----BEGIN CERTIFICATE-----\n" + data.strip() + b"\n-----END CERTIFICATE-----\n"
    try:
        return load_certificate(data)
    except InputError:
        raise _bad(f"{what} is not a certificate") from None


def _org(value: str | None, what: str) -> ParticipantId:
    if value is None or not is_valid_norwegian_org_number(value):
        raise _bad(f"{what} {value!r} is not an organisation number")
    return ParticipantId.norwegian(value)


def parse_person(obj: Any) -> Person:
    """One entry of ``personer`` in a KRR answer."""
    if not isinstance(obj, dict):
        raise _bad("a KRR person is not a JSON object")
    identifier = _str(obj, "personidentifikator")
    if identifier is None:
        raise _bad("a KRR person has no personidentifikator")
    status = _enum(obj, "status", PersonStatus)
    contact_obj = obj.get("kontaktinformasjon")
    mailbox_obj = obj.get("digital_post")
    contact = None
    if isinstance(contact_obj, dict):
        contact = ContactDetails(
            email=_str(contact_obj, "epostadresse"),
            email_updated=_time(contact_obj, "epostadresse_oppdatert"),
            email_last_verified=_time(contact_obj, "epostadresse_sist_verifisert"),
            mobile=_str(contact_obj, "mobiltelefonnummer"),
            mobile_updated=_time(contact_obj, "mobiltelefonnummer_oppdatert"),
            mobile_last_verified=_time(contact_obj, "mobiltelefonnummer_sist_verifisert"),
        )
    mailbox = None
    if isinstance(mailbox_obj, dict):
        address = _str(mailbox_obj, "postkasseadresse")
        if address is None:
            raise _bad("digital_post has no postkasseadresse")
        mailbox = DigitalMailbox(
            address=address,
            provider=_org(
                _str(mailbox_obj, "postkasseleverandoeradresse"), "postkasseleverandoeradresse"
            ),
        )
    return Person(
        identifier=identifier,
        status=status or PersonStatus.NOT_REGISTERED,
        reservation=_enum(obj, "reservasjon", Reservation),
        reservation_time=_time(obj, "reservasjonstidspunkt"),
        notification_status=_enum(obj, "varslingsstatus", NotificationStatus),
        contact=contact,
        mailbox=mailbox,
        certificate=_certificate(_str(obj, "sertifikat"), "sertifikat"),
        language=_str(obj, "spraak"),
    )


class KrrClient:
    """Looks citizens up in KRR (``base_url``: a :data:`KRR_PRESETS` value or a local one)."""

    def __init__(
        self,
        *,
        session: requests.Session,
        base_url: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        require_session(session, caller="KrrClient")
        require_instance(base_url, str, caller="KrrClient", name="base_url")
        if not base_url.startswith(("https://", "http://")):
            raise UsageError(f"{base_url!r} is not an HTTP(S) URL")
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.limits = limits

    def _call(
        self, method: str, path: str, *, headers: Mapping[str, str], body: bytes | None = None
    ) -> Any:
        answer = exchange(
            self.session,
            method,
            f"{self.base_url}{path}",
            error=KrrError,
            area="krr",
            timeout=self.timeout,
            limits=self.limits,
            headers=headers,
            data=body,
        )
        if answer.status != 200:
            rule = {400: "krr:bad-request", 401: "krr:unauthorized", 403: "krr:forbidden"}.get(
                answer.status, "krr:http-status"
            )
            detail = answer.body[:200].decode("utf-8", "replace")
            raise KrrError(f"KRR answered HTTP {answer.status}: {detail}", rule=rule)
        if answer.content_type != "application/json":
            raise KrrError(
                f"KRR answered {answer.content_type or 'no type'}, not JSON", rule="krr:answer"
            )
        try:
            return jsonparse.loads(answer.body)
        except ValueError:
            raise KrrError("KRR's answer is not JSON", rule="krr:answer") from None

    def persons(self, identifiers: Sequence[str], *, token: AccessToken | str) -> list[Person]:
        """``POST /rest/v2/personer``: one :class:`Person` per identifier, in KRR's order."""
        _check_request("KrrClient.persons", identifiers, token)
        ids = list(identifiers)
        if not 1 <= len(ids) <= MAX_PERSONS_PER_CALL:
            raise UsageError(f"KRR takes 1 to {MAX_PERSONS_PER_CALL} identifiers per call")
        for identifier in ids:
            if not isinstance(identifier, str) or not _PERSON_ID.fullmatch(identifier):
                raise UsageError("a person identifier is 11 digits (fødselsnummer or D-nummer)")
        bearer = token.value if isinstance(token, AccessToken) else token
        body = self._call(
            "POST",
            "/rest/v2/personer",
            headers={
                "Authorization": f"Bearer {bearer}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            body=json.dumps({"personidentifikatorer": ids}).encode(),
        )
        persons = body.get("personer") if isinstance(body, dict) else None
        if not isinstance(persons, list):
            raise _bad("KRR's answer has no personer list")
        return [parse_person(p) for p in persons]

    def person(self, identifier: str, *, token: AccessToken | str) -> Person:
        require_instance(identifier, str, caller="KrrClient.person", name="identifier")
        _check_request("KrrClient.person", [identifier], token)
        found = [p for p in self.persons([identifier], token=token) if p.identifier == identifier]
        if len(found) != 1:
            raise _bad("KRR's answer does not hold exactly one entry for the person asked for")
        return found[0]

    def print_certificate(self) -> PrintCertificate:
        """``GET /rest/v2/printSertifikat`` (no token): the print provider and its certificate."""
        body = self._call("GET", "/rest/v2/printSertifikat", headers={"Accept": "application/json"})
        if not isinstance(body, dict):
            raise _bad("KRR's print certificate answer is not a JSON object")
        certificate = _certificate(_str(body, "x509Sertifikat"), "x509Sertifikat")
        if certificate is None:
            raise _bad("KRR's print certificate answer has no x509Sertifikat")
        return PrintCertificate(
            provider=_org(_str(body, "postkasseleverandoerAdresse"), "postkasseleverandoerAdresse"),
            certificate=certificate,
        )


def _check_request(caller: str, identifiers: object, token: object) -> None:
    # A str is a sequence too: one identifier would be read as eleven of one digit.
    require_texts(identifiers, caller=caller, name="identifiers")
    require_instance(
        token, (AccessToken, str), caller=caller, name="token", expected="an AccessToken or a str"
    )
