"""The Maskinporten token inside a DPI business message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pki
import pytest

from peppol_dpi.dpi.jws import JwsError, decode_unverified
from peppol_dpi.dpi.message import parse_business_message
from peppol_dpi.dpi.token import DPI_SCOPE, acting_party, verify_maskinporten_token
from peppol_dpi.errors import InputError
from peppol_dpi.ids import ParticipantId
from peppol_dpi.lookup.maskinporten import parse_token_claims

NOW = datetime(2026, 3, 16, 13, 0, tzinfo=UTC)
ISSUER = "https://test.maskinporten.no/"


def claims(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "scope": DPI_SCOPE,
        "iss": ISSUER,
        "client_amr": "virksomhetssertifikat",
        "token_type": "Bearer",
        "exp": int((NOW + timedelta(seconds=120)).timestamp()),
        "iat": int(NOW.timestamp()),
        "client_id": "MOVE_IP_991825827",
        "jti": "x",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:991825827"},
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def token(payload: dict[str, Any], algorithm: str = "RS256", kid: str = "mp-1") -> str:
    return jwt.encode(
        payload, pki.maskinporten_key().key, algorithm=algorithm, headers={"kid": kid}
    )


def keys() -> dict[str, Any]:
    return {"mp-1": pki.maskinporten_key().certificate.public_key()}


@pytest.mark.parametrize("name", ["digital", "utskrift"])
def test_digdir_sample_token_claims(shared: Path, name: str) -> None:
    folder = shared / "dpi" / "digdir-samples"
    message = parse_business_message((folder / f"{name}-forretningsmelding.json").read_bytes())
    embedded = message.body.maskinportentoken  # type: ignore[union-attr]
    decoded = json.loads(decode_unverified(embedded))
    expected = json.loads(
        (folder / f"{name}-forretningsmelding-autorisasjonsbevis.json").read_bytes()
    )
    assert decoded == expected
    parsed = parse_token_claims(embedded)
    assert parsed.consumer == ParticipantId.norwegian("991825827") and parsed.supplier is None
    assert acting_party(parsed) == parsed.consumer and DPI_SCOPE in parsed.scopes


def test_verify_with_jwks_kid_and_certificate() -> None:
    raw = token(claims())
    parsed = verify_maskinporten_token(raw, keys=keys(), at=NOW, issuer=ISSUER, check_expiry=True)
    assert parsed.consumer == ParticipantId.norwegian("991825827")
    assert parsed.expires_at - parsed.issued_at == timedelta(seconds=120)  # type: ignore[operator]
    by_certificate = verify_maskinporten_token(raw, keys=pki.maskinporten_key().certificate, at=NOW)
    assert by_certificate == parsed


def test_supplier_is_the_acting_party() -> None:
    supplier = {"authority": "iso6523-actorid-upis", "ID": "0192:810969342"}
    parsed = verify_maskinporten_token(token(claims(supplier=supplier)), keys=keys(), at=NOW)
    assert acting_party(parsed) == ParticipantId.norwegian("810969342")


@pytest.mark.parametrize(
    ("payload", "kwargs", "rule"),
    [
        (claims(iss="https://evil.example/"), {"issuer": ISSUER}, "token:issuer"),
        (claims(scope="krr:global/digitalpost.read"), {}, "token:scope"),
        (claims(consumer=None), {}, "token:claims"),
        (claims(consumer={"authority": "iso6523-actorid-upis", "ID": "0192:123"}), {}, "maskinporten:claims"),
        (claims(iat=int((NOW + timedelta(hours=1)).timestamp())), {}, "token:time"),
        (claims(exp=int((NOW - timedelta(hours=1)).timestamp())), {"check_expiry": True}, "token:expired"),
        (claims(exp="soon"), {}, "maskinporten:claims"),
    ],
)  # fmt: skip
def test_bad_claims(payload: dict[str, Any], kwargs: dict[str, Any], rule: str) -> None:
    with pytest.raises(InputError) as caught:
        verify_maskinporten_token(token(payload), keys=keys(), at=NOW, **kwargs)
    assert caught.value.rule == rule


def test_expired_token_passes_at_corner_4_by_default() -> None:
    old = claims(exp=int((NOW - timedelta(hours=1)).timestamp()), iat=int((NOW - timedelta(hours=2)).timestamp()))  # fmt: skip
    assert (
        verify_maskinporten_token(token(old), keys=keys(), at=NOW).consumer.org_number
        == "991825827"
    )


def test_signature_and_key_selection() -> None:
    with pytest.raises(JwsError) as caught:
        verify_maskinporten_token(token(claims(), kid="other"), keys=keys(), at=NOW)
    assert caught.value.rule == "jws:kid"
    forged = jwt.encode(claims(), "s" * 32, algorithm="HS256", headers={"kid": "mp-1"})
    with pytest.raises(JwsError) as caught:
        verify_maskinporten_token(forged, keys=keys(), at=NOW)
    assert caught.value.rule == "jws:alg"
    other = jwt.encode(
        claims(), pki.business_key("sender").key, algorithm="RS256", headers={"kid": "mp-1"}
    )
    with pytest.raises(JwsError) as caught:
        verify_maskinporten_token(other, keys=keys(), at=NOW)
    assert caught.value.rule == "jws:signature"
