"""KRR: the client against a KRR-like register on loopback, with tokens from the
Maskinporten-like service; typed results; errors mapped to the package's hierarchy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pki
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from peppol_dpi.errors import UsageError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.lookup.errors import KrrError
from peppol_dpi.lookup.krr import (
    KRR_PRESETS,
    SCOPE_CONTACT_INFO,
    SCOPE_DIGITAL_POST,
    KrrClient,
    NotificationStatus,
    PersonStatus,
    Reservation,
    parse_person,
)
from peppol_dpi.lookup.maskinporten import MaskinportenClient, MaskinportenEnvironment
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.krr import KrrService, person_entry, serve_krr
from peppol_dpi.services.maskinporten import (
    ClientRegistration,
    MaskinportenService,
    serve_maskinporten,
)

CITIZEN, RESERVED, UNKNOWN = "01017012345", "02027012345", "03037012345"
DIGIPOST = "984661185"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    mailbox_cert = pki.business_key("digipost").certificate
    registrations = {
        "c1": ClientRegistration(
            client_id="c1",
            organisation="991825827",
            scopes=frozenset({SCOPE_DIGITAL_POST, SCOPE_CONTACT_INFO, "digitalpostinnbygger:send"}),
            certificates=(pki.business_key("sender").certificate,),
        )
    }
    token_service = MaskinportenService(key=pki.maskinporten_key(), clients=registrations)
    public = pki.maskinporten_key().certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    register = KrrService(
        persons={
            CITIZEN: person_entry(
                CITIZEN,
                mailbox_address="ola.nordmann#9YDT",
                provider=DIGIPOST,
                certificate=mailbox_cert,
                email="ola@example.test",
                mobile="+4799999999",
            ),
            RESERVED: person_entry(RESERVED, reservation=Reservation.YES),
        },
        print_provider="971032146",
        print_certificate=pki.business_key("eboks").certificate,
        token_key=public,
    )
    with serve_maskinporten(token_service) as mp, serve_krr(register) as krr:
        session = requests.Session()
        environment = MaskinportenEnvironment(
            name="local", token_url=f"{mp.url}/token", issuer=f"{mp.url}/"
        )
        tokens = MaskinportenClient(
            session=session, environment=environment, client_id="c1", key=pki.business_key("sender")
        )
        yield {
            "krr": KrrClient(session=session, base_url=krr.url),
            "tokens": tokens,
            "mailbox_cert": mailbox_cert,
        }
        session.close()


def test_presets() -> None:
    assert KRR_PRESETS["test"] == "https://test.kontaktregisteret.no"


def test_persons_with_both_scopes(servers: dict[str, Any]) -> None:
    token = servers["tokens"].token([SCOPE_DIGITAL_POST, SCOPE_CONTACT_INFO])
    citizen, reserved, unknown = servers["krr"].persons([CITIZEN, RESERVED, UNKNOWN], token=token)
    assert citizen.status is PersonStatus.ACTIVE and citizen.reservation is Reservation.NO
    assert citizen.mailbox is not None and citizen.mailbox.address == "ola.nordmann#9YDT"
    assert citizen.mailbox.provider == ParticipantId.norwegian(DIGIPOST)
    assert citizen.mailbox.provider_org_number == DIGIPOST
    assert citizen.certificate == servers["mailbox_cert"]
    assert citizen.contact is not None and citizen.contact.email == "ola@example.test"
    assert citizen.notification_status is NotificationStatus.CAN_BE_NOTIFIED
    assert citizen.can_receive_digital_post
    assert reserved.reservation is Reservation.YES and not reserved.can_receive_digital_post
    assert unknown.status is PersonStatus.NOT_REGISTERED and not unknown.can_receive_digital_post


def test_scope_limits_what_comes_back(servers: dict[str, Any]) -> None:
    person = servers["krr"].person(CITIZEN, token=servers["tokens"].token([SCOPE_CONTACT_INFO]))
    assert person.mailbox is None and person.certificate is None and person.contact is not None
    assert not person.can_receive_digital_post


def test_print_certificate(servers: dict[str, Any]) -> None:
    printing = servers["krr"].print_certificate()
    assert printing.provider == ParticipantId.norwegian("971032146")
    assert printing.certificate == pki.business_key("eboks").certificate


def test_refusals_are_krr_errors(servers: dict[str, Any]) -> None:
    with pytest.raises(KrrError) as info:
        servers["krr"].persons([CITIZEN], token="not-a-token")
    assert info.value.rule == "krr:unauthorized"
    wrong_scope = servers["tokens"].token(["digitalpostinnbygger:send"])
    with pytest.raises(KrrError) as forbidden:
        servers["krr"].persons([CITIZEN], token=wrong_scope)
    assert forbidden.value.rule == "krr:forbidden"
    with pytest.raises(UsageError):
        servers["krr"].persons(["123"], token=wrong_scope)
    with pytest.raises(UsageError):
        servers["krr"].persons([], token=wrong_scope)


def _app(status: str, body: bytes, content_type: str) -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", content_type)])
        return [body]

    return app


@pytest.mark.parametrize(
    ("status", "body", "content_type", "rule"),
    [
        ("200 OK", b"<html>maintenance</html>", "text/html", "krr:answer"),
        ("200 OK", b"{not json", "application/json", "krr:answer"),
        ("200 OK", b'{"personer": "x"}', "application/json", "krr:answer"),
        (
            "200 OK",
            b'{"personer": [{"personidentifikator": "1", "status": "WHAT"}]}',
            "application/json",
            "krr:answer",
        ),
        (
            "200 OK",
            b'{"personer": [{"personidentifikator": "1", "sertifikat": "bm90IGEgY2VydA=="}]}',
            "application/json",
            "krr:answer",
        ),
        ("409 Conflict", b"", "text/plain", "krr:http-status"),
    ],
)
def test_bad_answers(status: str, body: bytes, content_type: str, rule: str) -> None:
    with (
        serve_wsgi_in_thread(_app(status, body, content_type)) as server,
        requests.Session() as session,
    ):
        with pytest.raises(KrrError) as info:
            KrrClient(session=session, base_url=server.url).persons([CITIZEN], token="t")
        assert info.value.rule == rule


def test_parse_person_accepts_bare_base64_certificate() -> None:
    entry = person_entry(
        CITIZEN,
        mailbox_address="a",
        provider=DIGIPOST,
        certificate=pki.business_key("digipost").certificate,
    )
    bare = "".join(line for line in entry["sertifikat"].splitlines() if "-----" not in line)
    assert (
        parse_person(entry | {"sertifikat": bare}).certificate
        == pki.business_key("digipost").certificate
    )
