"""The local reference services refuse bad input with the answer their modules promise.

Each test drives one crafted request (grant, registration, lookup) through a service running on
127.0.0.1 and pins the exact answer: the HTTP status, the error text or the RFC 6749 5.2 error
code, and what the service kept: the Maskinporten-like token service, the delegation register,
KRR, the SMP and the WSGI plumbing they share.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pki
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lookup_support import DIGITAL, DIGITAL_PROCESS

from peppol_dpi.errors import UsageError
from peppol_dpi.ids import DocumentTypeId, ParticipantId
from peppol_dpi.jose import encode_compact
from peppol_dpi.lookup.maskinporten import GRANT_TYPE
from peppol_dpi.lookup.smp import (
    Endpoint,
    ProcessMetadata,
    ServiceGroup,
    ServiceMetadata,
    TransportProfile,
    service_group_url,
    service_metadata_url,
)
from peppol_dpi.lookup.smp_xml import build_service_group, build_service_metadata
from peppol_dpi.services.base import serve_wsgi_in_thread
from peppol_dpi.services.delegation import (
    AltinnDelegationCheck,
    DelegationService,
    serve_delegation,
)
from peppol_dpi.services.krr import KrrService, person_entry, serve_krr
from peppol_dpi.services.maskinporten import (
    ClientRegistration,
    MaskinportenService,
    serve_maskinporten,
)
from peppol_dpi.services.smp import SmpService, serve_smp
from peppol_dpi.xmlparse import to_bytes

# -- the Maskinporten-like token service (services.maskinporten) ------------------------------

SCOPE = "digitalpostinnbygger:send"
CLIENT_ORG = "991825827"
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def token_service() -> Iterator[tuple[MaskinportenService, str, list[datetime]]]:
    """The token service with one client (certificate and kid k1) and no delegation hook."""
    now = [T0]
    seid2 = pki.business_key("sender-seid2").certificate.public_key()
    assert isinstance(seid2, rsa.RSAPublicKey)
    client = ClientRegistration(
        client_id="sender-client",
        organisation=CLIENT_ORG,
        scopes=frozenset({SCOPE}),
        certificates=(pki.business_key("sender").certificate,),
        keys={"k1": seid2},
    )
    service = MaskinportenService(
        key=pki.maskinporten_key(), clients={"sender-client": client}, clock=lambda: now[0]
    )
    with serve_maskinporten(service) as running:
        yield service, running.url, now


_DROP = object()  # a claim left out of the grant


def _grant(url: str, *, header: dict[str, Any] | None = None, key: str = "sender-seid2", **claims: Any) -> str:  # fmt: skip
    iat = int(T0.timestamp())
    payload: dict[str, Any] = {
        "iss": "sender-client",
        "aud": f"{url}/",
        "scope": SCOPE,
        "iat": iat,
        "exp": iat + 120,
        "jti": "jti-1",
    }
    payload |= claims
    payload = {k: v for k, v in payload.items() if v is not _DROP}
    return encode_compact(
        header=header or {"alg": "RS256", "kid": "k1"},
        payload=payload,
        key=pki.business_key(key),
    )


def _ask(url: str, assertion: str) -> requests.Response:
    return requests.post(
        f"{url}/token", data={"grant_type": GRANT_TYPE, "assertion": assertion}, timeout=5
    )


_NOT_A_CERTIFICATE = "x5c does not hold a certificate"
_LIFETIME = "exp must be after iat, by at most 120 s"
_T = int(T0.timestamp())
# The CA certificate with its version field made 4 (a fuzzing find, security tests).
_VERSION_4 = base64.b64encode(
    pki.root_ca()
    .public_bytes(Encoding.DER)
    .replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x03")
).decode()

#: Grants the service must refuse (Maskinporten jwtgrant rules, RFC 6749 5.2 errors):
#: header, claims, signing key -> HTTP status, error, error_description.
_NOT_AN_ORGANISATION = (400, "invalid_grant", "consumer_org must be an organisation number")

BAD_GRANTS: dict[str, tuple[dict[str, Any], tuple[int, str, str]]] = {
    "x5c not base64": (
        {"header": {"alg": "RS256", "x5c": ["not base64!"]}, "key": "sender"},
        (400, "invalid_grant", _NOT_A_CERTIFICATE),
    ),
    "x5c not DER": (
        {"header": {"alg": "RS256", "x5c": ["AAAA"]}, "key": "sender"},
        (400, "invalid_grant", _NOT_A_CERTIFICATE),
    ),
    "x5c empty": (
        {"header": {"alg": "RS256", "x5c": []}, "key": "sender"},
        (400, "invalid_grant", _NOT_A_CERTIFICATE),
    ),
    "x5c of version 4": (  # cryptography loads it lazily, then raises InvalidVersion
        {"header": {"alg": "RS256", "x5c": [_VERSION_4]}, "key": "sender"},
        (400, "invalid_grant", _NOT_A_CERTIFICATE),
    ),
    "x5c not a list": (
        {"header": {"alg": "RS256", "x5c": "MIIB"}, "key": "sender"},
        (400, "invalid_grant", _NOT_A_CERTIFICATE),
    ),
    "unknown kid": (
        {"header": {"alg": "RS256", "kid": "k9"}},
        (400, "invalid_client", "unknown kid 'k9'"),
    ),
    "neither x5c nor kid": (
        {"header": {"alg": "RS256"}},
        (400, "invalid_grant", "the grant has neither x5c nor kid"),
    ),
    "kid of another key": (
        {"key": "sender"},  # the client's certificate key, not the key registered as k1
        (400, "invalid_grant", "the grant's signature does not verify"),
    ),
    "iat a string": (
        {"iat": str(_T)},
        (400, "invalid_grant", "iat and exp must be numbers"),
    ),
    "exp a boolean": (
        {"exp": True},
        (400, "invalid_grant", "iat and exp must be numbers"),
    ),
    "no exp": (
        {"exp": _DROP},
        (400, "invalid_grant", "iat and exp must be numbers"),
    ),
    "lives 121 s": ({"exp": _T + 121}, (400, "invalid_grant", _LIFETIME)),
    "exp at iat": ({"exp": _T}, (400, "invalid_grant", _LIFETIME)),
    "exp before iat": ({"exp": _T - 1}, (400, "invalid_grant", _LIFETIME)),
    "no jti": ({"jti": _DROP}, (400, "invalid_grant", "the grant has no jti")),
    "empty jti": ({"jti": ""}, (400, "invalid_grant", "the grant has no jti")),
    "jti a number": ({"jti": 7}, (400, "invalid_grant", "the grant has no jti")),
    "consumer_org without delegation": (
        {"consumer_org": "974760673"},
        (403, "invalid_grant", f"{CLIENT_ORG} may not act for 974760673"),
    ),
    # Only an organisation number is asked about (the register is not asked at all).
    "consumer_org failing modulus 11": ({"consumer_org": "974760674"}, _NOT_AN_ORGANISATION),
    "consumer_org a number": ({"consumer_org": 974760673}, _NOT_AN_ORGANISATION),
    "consumer_org carrying a query": (
        {"consumer_org": f"974760673&consumerOrg={CLIENT_ORG}"},
        _NOT_AN_ORGANISATION,
    ),
}


@pytest.mark.parametrize("case", BAD_GRANTS)
def test_the_token_service_refuses_a_bad_grant(token_service: Any, case: str) -> None:
    _, url, _ = token_service
    changes, (status, error, description) = BAD_GRANTS[case]
    answer = _ask(url, _grant(url, **changes))
    assert answer.status_code == status
    assert answer.json() == {"error": error, "error_description": description}
    assert _ask(url, _grant(url)).status_code == 200  # the refusal did not use up jti-1


def test_a_grant_for_its_own_organisation_needs_no_delegation(token_service: Any) -> None:
    # The control for "consumer_org without delegation": the client's own organisation.
    _, url, _ = token_service
    answer = _ask(url, _grant(url, consumer_org=CLIENT_ORG))
    assert answer.status_code == 200, answer.text


def test_a_jti_is_forgotten_once_its_grant_has_expired(token_service: Any) -> None:
    _, url, now = token_service
    assert _ask(url, _grant(url)).status_code == 200
    replay = _ask(url, _grant(url))
    assert replay.json()["error_description"] == "the jti was used before (replay)"
    # 131 s later the first grant (exp + 10 s skew) is gone: the same jti is new again.
    now[0] = T0 + timedelta(seconds=131)
    later = int(now[0].timestamp())
    assert _ask(url, _grant(url, iat=later, exp=later + 120)).status_code == 200


def test_the_token_service_publishes_its_metadata_and_nothing_else(token_service: Any) -> None:
    _, url, _ = token_service
    metadata = requests.get(f"{url}/.well-known/oauth-authorization-server", timeout=5)
    assert metadata.json() == {
        "issuer": f"{url}/",
        "token_endpoint": f"{url}/token",
        "jwks_uri": f"{url}/jwks",
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }
    for method, path in (("GET", "/token"), ("POST", "/jwks"), ("GET", "/authorize")):
        answer = requests.request(method, url + path, timeout=5)
        assert (answer.status_code, answer.json()) == (404, {"error": "no such resource"})


@pytest.mark.parametrize("organisation", ["991825828", "99182582", "org"])
def test_a_client_of_no_organisation_cannot_be_registered(organisation: str) -> None:
    with pytest.raises(UsageError, match=f"^'{organisation}' is not an organisation number$"):
        ClientRegistration(client_id="c", organisation=organisation, scopes=frozenset({SCOPE}))


# -- the delegation register (services.delegation) and HTTP Basic auth (services.wsgi) --------

ALTINN_USER = ("kari", "secret-kari")  # authorised to delegate for CLIENT_ORG
PROCESSOR_ORG = "810969342"


@pytest.fixture
def register() -> Iterator[tuple[DelegationService, str]]:
    service = DelegationService(
        persons={ALTINN_USER[0]: (ALTINN_USER[1], CLIENT_ORG)}, clock=lambda: T0
    )
    with serve_delegation(service) as running:
        yield service, running.url


_SCOPES = "scopes is a non-empty list of strings"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (["not", "an", "object"], "the body is a JSON object"),
        (
            {"offered_by": "991825828", "covered_by": PROCESSOR_ORG},
            "offered_by must be an organisation number",
        ),
        (
            {"offered_by": CLIENT_ORG, "covered_by": 810969342},
            "covered_by must be an organisation number",
        ),
        ({"offered_by": CLIENT_ORG, "covered_by": PROCESSOR_ORG}, _SCOPES),
        ({"offered_by": CLIENT_ORG, "covered_by": PROCESSOR_ORG, "scopes": []}, _SCOPES),
        ({"offered_by": CLIENT_ORG, "covered_by": PROCESSOR_ORG, "scopes": SCOPE}, _SCOPES),
        ({"offered_by": CLIENT_ORG, "covered_by": PROCESSOR_ORG, "scopes": [SCOPE, ""]}, _SCOPES),
        ({"offered_by": CLIENT_ORG, "covered_by": PROCESSOR_ORG, "scopes": [SCOPE, 1]}, _SCOPES),
    ],
)
def test_the_register_refuses_a_malformed_delegation(
    register: tuple[DelegationService, str], body: Any, error: str
) -> None:
    service, url = register
    answer = requests.post(f"{url}/delegations", json=body, auth=ALTINN_USER, timeout=5)
    assert (answer.status_code, answer.json()) == (400, {"error": error})
    assert not service.allows(CLIENT_ORG, PROCESSOR_ORG, SCOPE)


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode("ascii")


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        (None, "authentication required"),
        ("Bearer " + "a" * 20, "authentication required"),
        ("Basic not-base64!", "malformed credentials"),
        ("Basic a2FyaTpz\u00e5", "malformed credentials"),  # a Latin-1 byte: not even ASCII
        (_basic(b"\xff\xfe:secret"), "malformed credentials"),
        (_basic(b"kari"), "wrong user or password"),
        (_basic(b"kari:wrong"), "wrong user or password"),
    ],
)
def test_a_delegation_without_good_basic_credentials_is_refused(
    register: tuple[DelegationService, str], authorization: str | None, error: str
) -> None:
    # RFC 7617: a 401 with the Basic challenge.
    service, url = register
    body = {"offered_by": CLIENT_ORG, "covered_by": PROCESSOR_ORG, "scopes": [SCOPE]}
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = requests.post(f"{url}/delegations", json=body, headers=headers, timeout=5)
    assert (answer.status_code, answer.json()) == (401, {"error": error})
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Altinn"'
    assert not service.allows(CLIENT_ORG, PROCESSOR_ORG, SCOPE)


def test_a_withdrawn_delegation_cannot_be_withdrawn_again(
    register: tuple[DelegationService, str],
) -> None:
    service, url = register
    body = {"offered_by": CLIENT_ORG, "covered_by": PROCESSOR_ORG, "scopes": [SCOPE]}
    assert requests.post(f"{url}/delegations", json=body, auth=ALTINN_USER, timeout=5).ok
    path = f"{url}/delegations/{CLIENT_ORG}/{PROCESSOR_ORG}"
    assert requests.delete(path, auth=ALTINN_USER, timeout=5).status_code == 204
    assert not service.allows(CLIENT_ORG, PROCESSOR_ORG, SCOPE)
    again = requests.delete(path, auth=ALTINN_USER, timeout=5)
    assert (again.status_code, again.json()) == (404, {"error": "no such delegation"})


def test_only_a_person_authorised_for_the_organisation_withdraws(
    register: tuple[DelegationService, str],
) -> None:
    service, url = register
    service.delegate(
        offered_by="974760673",
        covered_by=PROCESSOR_ORG,
        scopes=frozenset({SCOPE}),
        delegated_by="x",
    )
    answer = requests.delete(
        f"{url}/delegations/974760673/{PROCESSOR_ORG}", auth=ALTINN_USER, timeout=5
    )
    assert (answer.status_code, answer.json()) == (
        403,
        {"error": "kari may not delegate on behalf of 974760673"},
    )
    assert service.allows("974760673", PROCESSOR_ORG, SCOPE)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/delegations"), ("PUT", "/delegations"), ("GET", "/maskinporten")],
)
def test_the_register_serves_nothing_else(
    register: tuple[DelegationService, str], method: str, path: str
) -> None:
    _, url = register
    answer = requests.request(method, url + path, auth=ALTINN_USER, timeout=5)
    assert (answer.status_code, answer.json()) == (404, {"error": "no such resource"})


def test_a_delegation_is_dated_by_the_system_clock_by_default() -> None:
    before = datetime.now(UTC)
    made = DelegationService().delegate(
        offered_by=CLIENT_ORG, covered_by=PROCESSOR_ORG, scopes=frozenset({SCOPE}), delegated_by="k"
    )
    assert before <= made.created <= datetime.now(UTC)


def _answering(status: str, body: bytes) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [body]

    return app


@pytest.mark.parametrize(
    "register_app",
    [
        _answering("200 OK", b"not JSON"),
        _answering("200 OK", b'[{"consumer_org": "' + CLIENT_ORG.encode()),
        None,  # nothing listens
    ],
)
def test_a_delegation_check_that_cannot_ask_the_register_says_no(
    caplog: pytest.LogCaptureFixture, register_app: Any
) -> None:
    # Never trust by default: an unreachable or garbled register is a "no".
    if register_app is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        running = None
    else:
        running = serve_wsgi_in_thread(register_app)
        base_url = running.url
    seen: list[tuple[str, str, str, bool]] = []
    check = AltinnDelegationCheck(
        base_url=base_url, session=requests.Session(), observer=lambda *a: seen.append(a)
    )
    try:
        with caplog.at_level(logging.WARNING, logger="peppol_dpi.services.delegation"):
            allowed = check(CLIENT_ORG, PROCESSOR_ORG, SCOPE)
    finally:
        if running is not None:
            running.stop()
    assert allowed is False
    assert seen == [(CLIENT_ORG, PROCESSOR_ORG, SCOPE, False)]
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "the delegation register could not be asked"
    ]


def _delegation(consumer: str) -> str:
    return f'"consumer_org": "{consumer}", "supplier_org": "{PROCESSOR_ORG}", "scopes": ["{SCOPE}"]'


@pytest.mark.parametrize(
    ("answer", "allowed"),
    [
        ("[{" + _delegation(CLIENT_ORG) + "}]", True),  # the control
        # A member twice: a lax reader takes the last one and says yes; ours refuses the answer.
        ('[{"consumer_org": "974760673", ' + _delegation(CLIENT_ORG) + "}]", False),
        ('[{"scopes": [], ' + _delegation(CLIENT_ORG) + "}]", False),
    ],
    ids=["delegated", "duplicate consumer_org", "duplicate scopes"],
)
def test_a_delegation_check_asks_one_question_and_reads_the_answer_strictly(
    answer: str, allowed: bool
) -> None:
    queries: list[dict[str, list[str]]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        queries.append(parse_qs(environ["QUERY_STRING"], keep_blank_values=True))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [answer.encode()]

    running = serve_wsgi_in_thread(app)
    try:
        check = AltinnDelegationCheck(base_url=running.url, session=requests.Session())
        assert check(CLIENT_ORG, PROCESSOR_ORG, SCOPE) is allowed
        # An "&" in a value stays in that value: it adds no parameter the register would read.
        assert check(f"974760673&consumerOrg={CLIENT_ORG}", PROCESSOR_ORG, SCOPE) is False
    finally:
        running.stop()
    assert queries == [
        {"supplierOrg": [PROCESSOR_ORG], "consumerOrg": [CLIENT_ORG], "scope": [SCOPE]},
        {
            "supplierOrg": [PROCESSOR_ORG],
            "consumerOrg": [f"974760673&consumerOrg={CLIENT_ORG}"],
            "scope": [SCOPE],
        },
    ]


# -- the KRR-like register (services.krr) -----------------------------------------------------

KRR_ISSUER = "https://maskinporten.local.test/"
CITIZEN = "01017012345"


@pytest.fixture(scope="module")
def krr() -> Iterator[str]:
    public = pki.maskinporten_key().certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    service = KrrService(
        persons={CITIZEN: person_entry(CITIZEN, email="ola@example.test")},
        print_provider="971032146",
        print_certificate=pki.business_key("eboks").certificate,
        token_key=public,
        token_issuer=KRR_ISSUER,
        clock=lambda: T0,
    )
    with serve_krr(service) as running:
        yield running.url


def _access_token(**claims: Any) -> str:
    payload: dict[str, Any] = {
        "iss": KRR_ISSUER,
        "scope": "krr:global/kontaktinformasjon.read",
        "exp": int(T0.timestamp()) + 60,
    }
    payload |= claims
    payload = {k: v for k, v in payload.items() if v is not _DROP}
    return encode_compact(
        header={"alg": "RS256", "kid": "mp"}, payload=payload, key=pki.maskinporten_key()
    )


def _persons(url: str, authorization: str | None, body: Any = None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    data = body if body is not None else {"personidentifikatorer": [CITIZEN]}
    return requests.post(f"{url}/rest/v2/personer", json=data, headers=headers, timeout=5)


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        (None, "a Maskinporten bearer token is required"),
        ("Bearer", "a Maskinporten bearer token is required"),
        ("Basic " + "a" * 20, "a Maskinporten bearer token is required"),
        ("Bearer " + _access_token(exp=int(T0.timestamp())), "the token has expired"),
        ("Bearer " + _access_token(exp=int(T0.timestamp()) - 1), "the token has expired"),
        ("Bearer " + _access_token(exp=_DROP), "the token has expired"),
        ("Bearer " + _access_token(exp=str(int(T0.timestamp()) + 60)), "the token has expired"),
        (
            "Bearer " + _access_token(iss="https://test.maskinporten.no/"),
            "the token is from another issuer",
        ),
        ("Bearer " + _access_token(iss=_DROP), "the token is from another issuer"),
    ],
)
def test_krr_refuses_a_request_without_a_current_token_of_its_issuer(
    krr: str, authorization: str | None, error: str
) -> None:
    answer = _persons(krr, authorization)
    assert (answer.status_code, answer.json()) == (401, {"error": error})


def test_krr_answers_a_current_token_of_its_issuer(krr: str) -> None:
    # The control for the refusals above: the same request with a good token.
    answer = _persons(krr, "Bearer " + _access_token())
    assert answer.status_code == 200
    assert answer.json()["personer"][0]["kontaktinformasjon"]["epostadresse"] == "ola@example.test"


_IDS = "personidentifikatorer: 1 to 1000 strings"


@pytest.mark.parametrize(
    "body",
    [
        {"personidentifikatorer": []},
        {"personidentifikatorer": [CITIZEN] * 1001},
        {"personidentifikatorer": CITIZEN},
        {"personidentifikatorer": [CITIZEN, 1017012345]},
        {"personidentifikator": [CITIZEN]},
        [CITIZEN],
    ],
)
def test_krr_refuses_a_malformed_list_of_persons(krr: str, body: Any) -> None:
    answer = _persons(krr, "Bearer " + _access_token(), body)
    assert (answer.status_code, answer.json()) == (400, {"error": _IDS})


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/rest/v2/personer"), ("POST", "/rest/v2/printSertifikat"), ("GET", "/")],
)
def test_krr_serves_nothing_else(krr: str, method: str, path: str) -> None:
    answer = requests.request(method, krr + path, timeout=5)
    assert (answer.status_code, answer.json()) == (404, {"error": "no such resource"})


# -- the SMP's write API (services.smp) -------------------------------------------------------

OWNER, OTHER_USER = ("c2", "secret-c2"), ("other", "secret-o")
PARTICIPANT = ParticipantId.parse("0192:984661185")
ELSEWHERE = ParticipantId.parse("0192:922020175")
PRINT = DocumentTypeId.parse(
    "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost"
    "##urn:fdc:digdir.no:2020:innbyggerpost:schema:utskrift::1.0"
)


@pytest.fixture
def smp() -> Iterator[tuple[SmpService, str]]:
    """An SMP where OWNER created PARTICIPANT (with no metadata yet)."""
    service = SmpService(key=pki.smp_key(), users=dict([OWNER, OTHER_USER]))
    with serve_smp(service) as running:
        group = build_service_group(ServiceGroup(participant=PARTICIPANT, document_types=()))
        created = requests.put(
            service_group_url(running.url, PARTICIPANT), data=group, auth=OWNER, timeout=5
        )
        assert created.status_code == 200
        yield service, running.url


def _metadata_for(participant: ParticipantId, document_type: DocumentTypeId) -> bytes:
    endpoint = Endpoint(
        transport_profile=TransportProfile.PEPPOL_AS4_V2,
        url="https://ap.example/as4",
        certificate=pki.ap_key("c3").certificate,
    )
    process = ProcessMetadata(process=DIGITAL_PROCESS, endpoints=(endpoint,))
    metadata = ServiceMetadata(
        participant=participant, document_type=document_type, processes=(process,)
    )
    return to_bytes(build_service_metadata(metadata))


def _registered(url: str, participant: ParticipantId = PARTICIPANT) -> int:
    """The status of GET ServiceGroup: 200 while the participant is registered."""
    return requests.get(service_group_url(url, participant), timeout=5).status_code


def test_a_service_group_naming_another_participant_is_refused(
    smp: tuple[SmpService, str],
) -> None:
    _, url = smp
    body = build_service_group(ServiceGroup(participant=PARTICIPANT, document_types=()))
    answer = requests.put(service_group_url(url, ELSEWHERE), data=body, auth=OWNER, timeout=5)
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "the body names another participant than the URL"},
    )
    assert _registered(url, ELSEWHERE) == 404


def test_another_user_cannot_put_an_owned_service_group(smp: tuple[SmpService, str]) -> None:
    # ELMA: only the access point who registered an organisation may change it.
    _, url = smp
    body = build_service_group(ServiceGroup(participant=PARTICIPANT, document_types=()))
    answer = requests.put(
        service_group_url(url, PARTICIPANT), data=body, auth=OTHER_USER, timeout=5
    )
    assert (answer.status_code, answer.json()) == (
        403,
        {"error": f"{PARTICIPANT} belongs to another user"},
    )


@pytest.mark.parametrize(
    ("participant", "document_type"),
    [(ELSEWHERE, DIGITAL), (PARTICIPANT, PRINT)],
    ids=["another participant", "another document type"],
)
def test_service_metadata_describing_something_else_is_refused(
    smp: tuple[SmpService, str], participant: ParticipantId, document_type: DocumentTypeId
) -> None:
    _, url = smp
    body = _metadata_for(participant, document_type)
    target = service_metadata_url(url, PARTICIPANT, DIGITAL)
    answer = requests.put(target, data=body, auth=OWNER, timeout=5)
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "the body describes another participant or document type"},
    )
    assert requests.get(target, timeout=5).status_code == 404
    # The control: the metadata of this URL's participant and document type is taken.
    good = _metadata_for(PARTICIPANT, DIGITAL)
    assert requests.put(target, data=good, auth=OWNER, timeout=5).status_code == 200


def test_deleting_metadata_that_was_never_put_is_not_found(smp: tuple[SmpService, str]) -> None:
    _, url = smp
    answer = requests.delete(service_metadata_url(url, PARTICIPANT, DIGITAL), auth=OWNER, timeout=5)
    assert (answer.status_code, answer.json()) == (
        404,
        {"error": f"no metadata for {PARTICIPANT} / {DIGITAL}"},
    )
    assert _registered(url) == 200


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("resource", ["group", "metadata"])
def test_the_smp_refuses_other_methods(
    smp: tuple[SmpService, str], method: str, resource: str
) -> None:
    _, url = smp
    target = (
        service_group_url(url, PARTICIPANT)
        if resource == "group"
        else service_metadata_url(url, PARTICIPANT, DIGITAL)
    )
    answer = requests.request(method, target, auth=OWNER, timeout=5)
    assert (answer.status_code, answer.json()) == (405, {"error": f"{method} is not allowed here"})


@pytest.mark.parametrize(
    "document_type", ["innbyggerpost", "no-such-scheme::x", "busdox-docid-qns::"]
)
def test_a_bad_document_type_in_the_url_is_refused(
    smp: tuple[SmpService, str], document_type: str
) -> None:
    _, url = smp
    answer = requests.get(f"{service_group_url(url, PARTICIPANT)}/services/{document_type}", timeout=5)  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("bad document type identifier: ")


# -- the WSGI plumbing (services.wsgi) --------------------------------------------------------


def test_an_absolute_form_request_target_is_routed_by_its_path(token_service: Any) -> None:
    # RFC 9112 3.2.2: a server must accept the absolute form (what a request via a proxy uses).
    service, url, _ = token_service
    host = url.removeprefix("http://")
    with socket.create_connection(("127.0.0.1", int(host.rsplit(":", 1)[1])), timeout=5) as raw:
        raw.sendall(
            f"GET http://{host}/jwks?x=1 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            .encode("ascii")
        )  # fmt: skip
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert [k["kid"] for k in json.loads(body)["keys"]] == [service.kid]
