"""Maskinporten: the JWT grant (checked with PyJWT), the token service on loopback, caching,
delegation, and the grant checks the service makes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pki
import pytest
import requests

from peppol_dpi.errors import UsageError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.jose import rsa_key_from_jwk
from peppol_dpi.lookup.errors import MaskinportenError
from peppol_dpi.lookup.maskinporten import (
    GRANT_TYPE,
    MASKINPORTEN_PRESETS,
    JwtGrant,
    MaskinportenClient,
    MaskinportenEnvironment,
    parse_token_claims,
)
from peppol_dpi.services.maskinporten import (
    ClientRegistration,
    MaskinportenService,
    serve_maskinporten,
)

SCOPE = "digitalpostinnbygger:send"
SENDER_ORG, PROCESSOR_ORG = "991825827", "810969342"
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_presets() -> None:
    assert MASKINPORTEN_PRESETS["prod"].token_url == "https://maskinporten.no/token"
    assert MASKINPORTEN_PRESETS["test"].issuer == "https://test.maskinporten.no/"


def test_grant_is_a_jwt_pyjwt_accepts() -> None:
    key = pki.business_key("sender")
    grant = JwtGrant(
        client_id="client-1",
        audience="https://test.maskinporten.no/",
        scopes=(SCOPE,),
        issued_at=T0,
        jti="7c9f4a3e-0000-4000-8000-000000000001",
        consumer_org=PROCESSOR_ORG,
        resources=("https://c2.example/",),
    )
    token = grant.sign(key)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and len(header["x5c"]) == 1
    claims = jwt.decode(
        token,
        key=key.certificate.public_key(),
        algorithms=["RS256"],
        audience="https://test.maskinporten.no/",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "aud": "https://test.maskinporten.no/",
        "iss": "client-1",
        "scope": SCOPE,
        "iat": int(T0.timestamp()),
        "exp": int(T0.timestamp()) + 120,
        "jti": "7c9f4a3e-0000-4000-8000-000000000001",
        "consumer_org": PROCESSOR_ORG,
        "resource": ["https://c2.example/"],
    }
    assert jwt.get_unverified_header(grant.sign(key, key_id="k1")) == {"alg": "RS256", "kid": "k1"}
    assert len(jwt.get_unverified_header(grant.sign(key, include_chain=True))["x5c"]) == 3


@pytest.mark.parametrize(
    "changes",
    [
        {"lifetime": timedelta(seconds=121)},
        {"scopes": ()},
        {"scopes": ("two words",)},
        {"consumer_org": "123456789"},
        {"issued_at": datetime(2026, 1, 1)},  # naive
    ],
)
def test_bad_grants_are_refused_before_signing(changes: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "client_id": "c",
        "audience": "a",
        "scopes": (SCOPE,),
        "issued_at": T0,
        "jti": "j",
    }
    with pytest.raises(UsageError):
        JwtGrant(**(values | changes))


@pytest.fixture
def service() -> Iterator[tuple[MaskinportenService, str, list[datetime]]]:
    now = [T0]
    delegations = {(PROCESSOR_ORG, SENDER_ORG, SCOPE)}  # the processor delegated to the sender
    registrations = {
        "sender-client": ClientRegistration(
            client_id="sender-client",
            organisation=SENDER_ORG,
            scopes=frozenset({SCOPE}),
            certificates=(pki.business_key("sender").certificate,),
            keys={"k1": pki.business_key("sender-seid2").certificate.public_key()},  # type: ignore[dict-item]
        )
    }
    svc = MaskinportenService(
        key=pki.maskinporten_key(),
        clients=registrations,
        delegation=lambda consumer, supplier, scope: (consumer, supplier, scope) in delegations,
        clock=lambda: now[0],
    )
    with serve_maskinporten(svc) as server:
        yield svc, server.url, now


def _client(url: str, now: list[datetime], **kw: Any) -> MaskinportenClient:
    environment = MaskinportenEnvironment(name="local", token_url=f"{url}/token", issuer=f"{url}/")
    values: dict[str, Any] = {
        "session": requests.Session(),
        "environment": environment,
        "client_id": "sender-client",
        "key": pki.business_key("sender"),
        "clock": lambda: now[0],
    }
    return MaskinportenClient(**(values | kw))


def test_token_for_itself_and_cached(
    service: tuple[MaskinportenService, str, list[datetime]],
) -> None:
    _, url, now = service
    client = _client(url, now)
    token = client.token([SCOPE])
    assert token.scopes == (SCOPE,)
    assert token.claims.consumer == ParticipantId.norwegian(SENDER_ORG)
    assert token.claims.supplier is None and token.claims.client_amr == "virksomhetssertifikat"
    assert SENDER_ORG not in repr(token) and token.value not in repr(token)
    # The service's JWKS verifies the token (PyJWT as the resource server would).
    jwks = requests.get(f"{url}/jwks", timeout=5).json()
    claims = jwt.decode(
        token.value,
        key=rsa_key_from_jwk(jwks["keys"][0]),
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["client_id"] == "sender-client" and claims["iss"] == f"{url}/"
    assert client.token([SCOPE]) is token  # cached
    now[0] = T0 + timedelta(seconds=115)  # inside the refresh margin: a new token
    assert client.token([SCOPE]) is not token


def test_token_with_kid(service: tuple[MaskinportenService, str, list[datetime]]) -> None:
    _, url, now = service
    token = _client(url, now, key=pki.business_key("sender-seid2"), key_id="k1").token([SCOPE])
    assert token.claims.client_amr == "private_key_jwt"


def test_delegation(service: tuple[MaskinportenService, str, list[datetime]]) -> None:
    _, url, now = service
    client = _client(url, now)
    token = client.token([SCOPE], consumer_org=PROCESSOR_ORG)
    assert token.claims.consumer == ParticipantId.norwegian(PROCESSOR_ORG)
    assert token.claims.supplier == ParticipantId.norwegian(SENDER_ORG)
    assert token.claims.delegation_source
    with pytest.raises(MaskinportenError) as info:
        client.token([SCOPE], consumer_org="974760673")  # no delegation from this org
    assert info.value.rule == "maskinporten:invalid_grant"


def _post(url: str, assertion: str) -> requests.Response:
    return requests.post(
        f"{url}/token", data={"grant_type": GRANT_TYPE, "assertion": assertion}, timeout=5
    )


def test_service_refuses_bad_grants(
    service: tuple[MaskinportenService, str, list[datetime]],
) -> None:
    _, url, now = service
    key = pki.business_key("sender")

    def grant(**changes: Any) -> str:
        values: dict[str, Any] = {
            "client_id": "sender-client",
            "audience": f"{url}/",
            "scopes": (SCOPE,),
            "issued_at": now[0],
            "jti": "j-1",
        }
        return JwtGrant(**(values | changes)).sign(changes.pop("key", key))

    good = grant()
    assert _post(url, good).status_code == 200
    cases = {
        "replay": (good, "invalid_grant"),
        "aud": (grant(jti="j-2", audience="https://test.maskinporten.no/"), "invalid_grant"),
        "scope": (grant(jti="j-3", scopes=("krr:global/digitalpost.read",)), "invalid_scope"),
        "client": (grant(jti="j-4", client_id="nobody"), "invalid_client"),
        "old": (grant(jti="j-5", issued_at=now[0] - timedelta(minutes=10)), "invalid_grant"),
        "cert": (
            JwtGrant(
                client_id="sender-client",
                audience=f"{url}/",
                scopes=(SCOPE,),
                issued_at=now[0],
                jti="j-6",
            ).sign(pki.business_key("processor")),
            "invalid_client",
        ),
        "garbage": ("not.a.jwt", "invalid_grant"),
    }
    tampered = good.split(".")
    tampered[1] = tampered[1][:-2] + ("AA" if tampered[1][-2:] != "AA" else "BB")
    cases["signature"] = (".".join(tampered), "invalid_grant")
    for name, (assertion, error) in cases.items():
        answer = _post(url, assertion)
        assert answer.status_code == 400, name
        assert answer.json()["error"] == error, name
    wrong_type = requests.post(
        f"{url}/token", data={"grant_type": "password", "assertion": good}, timeout=5
    )
    assert wrong_type.json()["error"] == "unsupported_grant_type"


def test_client_maps_refusals(service: tuple[MaskinportenService, str, list[datetime]]) -> None:
    _, url, now = service
    with pytest.raises(MaskinportenError) as info:
        _client(url, now).token(["not:registered"])
    assert info.value.rule == "maskinporten:invalid_scope"


def test_token_claims_of_a_bad_token() -> None:
    with pytest.raises(MaskinportenError):
        parse_token_claims("a.b")
