"""Corner 2's API on loopback: every rejection path of POST /messages/out, ownership, paging."""

from __future__ import annotations

import base64
import json
import uuid

import jwt
import pki
import pytest
import requests
from transport_doubles import (
    OTHER_ORG,
    PROCESSOR_ORG,
    SENDER_ORG,
    letter,
    make_key,
    sign_as,
    utcnow,
)
from transport_harness import Keys, corner2

from peppol_dpi.dpi.jws import decode_unverified
from peppol_dpi.dpi.message import parse_business_message
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.limits import DEFAULT_LIMITS
from peppol_dpi.transport.delivery import encode_form_data
from peppol_dpi.transport.locate import FixedLocator
from peppol_dpi.transport.store import InboundRecord, IncomingReceipt


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.make()


@pytest.fixture(scope="module")
def c2(keys, tmp_path_factory):
    # no corner 3 registered: messages stay OPPRETTET then FEILET; the API is what is tested
    service = corner2(
        keys,
        tmp_path_factory.mktemp("c2") / "c2.sqlite3",
        FixedLocator(urls={}, certificate=pki.ap_key("c3").certificate),
    ).start()
    yield service
    service.stop()


def _post(
    c2,
    *,
    token: str | None,
    jws: str | None,
    package: bytes | None = b"CMS",
    kanal: str | None = None,
    auth: str | None = None,
    content_type: str | None = None,
    body: bytes | None = None,
):
    parts = []
    if jws is not None:
        parts.append(("forretningsmelding", "sbd.jwt", "application/jwt", jws.encode()))
    if package is not None:
        parts.append(("dokumentpakke", "asic.cms", "application/cms", package))
    ct, data = encode_form_data(parts)
    headers = {"Content-Type": content_type or ct}
    if auth is not None:
        headers["Authorization"] = auth
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    params = {"kanal": kanal} if kanal is not None else None
    return requests.post(
        f"{c2.url}/messages/out",
        data=body if body is not None else data,
        headers=headers,
        params=params,
        timeout=10,
    )


def _assert_problem(response, status: int, rule: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    if rule:
        assert problem["type"] == f"urn:peppol-dpi:problem:{rule}", problem
    return problem


def _letter(keys, token, package=b"CMS", **kwargs):
    return letter(keys.sender, token=token, package=package, **kwargs).jws


def _hs256_token() -> str:
    return jwt.encode(
        {"iss": "https://maskinporten.test/", "scope": "digitalpostinnbygger:send"},
        "secret-key-of-32-bytes-or-more!!",
        algorithm="HS256",
    )


def _none_token(keys) -> str:
    good = keys.maskinporten.token()
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    return f"{header}.{good.split('.')[1]}."


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("no-header", "c2:token-missing"),
        ("basic-auth", "c2:token-missing"),
        ("garbage", "jws:format"),
        ("other-key", "jws:signature"),
        ("expired", "token:expired"),
        ("other-issuer", "token:issuer"),
        ("hs256", "jws:alg"),
        ("alg-none", "jws:alg"),
    ],
)
def test_401_without_a_valid_maskinporten_token(keys, c2, case, rule):
    mp = keys.maskinporten
    token = {
        "no-header": None,
        "basic-auth": None,
        "garbage": "not.a.token",
        "other-key": mp.token(key=make_key("intruder").key),
        "expired": mp.token(lifetime=-60),
        "other-issuer": mp.token(issuer="https://evil.example/"),
        "hs256": _hs256_token(),
        "alg-none": _none_token(keys),
    }[case]
    auth = "Basic dXNlcjpwYXNz" if case == "basic-auth" else None
    jws = _letter(keys, token or mp.token())
    _assert_problem(_post(c2, token=token, jws=jws, auth=auth), 401, rule)


def test_403_without_the_scope(keys, c2):
    token = keys.maskinporten.token(scope="krr:global/digitalpost.read")
    _assert_problem(_post(c2, token=token, jws=_letter(keys, token)), 403, "token:scope")


def test_400_not_multipart_or_missing_parts(keys, c2):
    token = keys.maskinporten.token()
    jws = _letter(keys, token)
    _assert_problem(
        _post(c2, token=token, jws=jws, content_type="application/json", body=b"{}"),
        400,
        "c2:multipart",
    )
    _assert_problem(_post(c2, token=token, jws=jws, package=None), 400, "c2:multipart")
    _assert_problem(_post(c2, token=token, jws=None), 400, "c2:multipart")
    _assert_problem(
        _post(
            c2,
            token=token,
            jws=jws,
            content_type="multipart/form-data; boundary=x",
            body=b"--x\r\n",
        ),
        400,
        "c2:multipart",
    )


def test_413_a_package_beyond_the_largest_dpi_package_is_refused_while_read(keys, c2):
    # dpi.md 3.1: a package is at most 50 MB (Limits.max_dpi_package_bytes); the part is
    # spooled as the body is read and refused once it passes the limit.
    token = keys.maskinporten.token()
    package = b"\x30\x80" + bytes(DEFAULT_LIMITS.max_dpi_package_bytes - 1)
    response = _post(c2, token=token, jws=_letter(keys, token, package=package), package=package)
    _assert_problem(response, 413, "c2:package-too-large")
    exact = package[:-1]  # at the limit: accepted
    assert _post(c2, token=token, jws=_letter(keys, token, package=exact), package=exact).status_code == 201  # fmt: skip


def test_400_business_message_signature_and_schema(keys, c2):
    token = keys.maskinporten.token()
    jws = _letter(keys, token)
    header, payload, signature = jws.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["standardBusinessDocument"]["digital"]["ikkesensitivtittel"] = "Changed"
    tampered = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    _assert_problem(_post(c2, token=token, jws=f"{header}.{tampered}.{signature}"), 400)
    # signed by a certificate of no trusted business CA
    stranger = make_key("stranger", SENDER_ORG)
    message = parse_business_message(decode_unverified(jws))
    untrusted = sign_as(
        message, LocalPrivateKey(key=stranger.key, certificate=stranger.certificate)
    )
    _assert_problem(_post(c2, token=token, jws=untrusted), 400, "cert:untrusted")
    # breaks the schema: a required member removed (signed properly)
    del data["standardBusinessDocument"]["digital"]["spraak"]
    broken = jwt.encode(
        data, keys.sender.key, algorithm="RS256", headers={"x5c": [_x5c(keys.sender)]}
    )
    _assert_problem(_post(c2, token=token, jws=broken), 400)
    _assert_problem(_post(c2, token=token, jws="\xe6\xf8\xe5"), 400)


def _x5c(key) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return base64.b64encode(key.certificate.public_bytes(Encoding.DER)).decode()


def test_400_embedded_token_is_not_the_bearer_token(keys, c2):
    bearer, other = keys.maskinporten.token(), keys.maskinporten.token()
    _assert_problem(_post(c2, token=bearer, jws=_letter(keys, other)), 400, "c2:token-embedded")


def test_403_token_consumer_is_not_the_avsender(keys, c2):
    token = keys.maskinporten.token(OTHER_ORG)
    _assert_problem(_post(c2, token=token, jws=_letter(keys, token)), 403, "c2:consumer-avsender")


def test_403_sbdh_sender_is_not_the_authenticated_supplier(keys, c2):
    token = keys.maskinporten.token(SENDER_ORG, supplier=PROCESSOR_ORG)
    # consumer == avsender, but the SBDH sender is the consumer itself, not the supplier
    _assert_problem(_post(c2, token=token, jws=_letter(keys, token)), 403, "c2:sbdh-sender")


def test_400_fingerprint_mismatch(keys, c2):
    token = keys.maskinporten.token()
    jws = _letter(keys, token, package=b"the original package")
    _assert_problem(
        _post(c2, token=token, jws=jws, package=b"a swapped package"), 400, "c2:fingerprint"
    )


def test_409_message_id_reused(keys, c2):
    token = keys.maskinporten.token()
    message_id = str(uuid.uuid4())
    assert (
        _post(c2, token=token, jws=_letter(keys, token, message_id=message_id)).status_code == 201
    )
    token2 = keys.maskinporten.token()
    _assert_problem(
        _post(c2, token=token2, jws=_letter(keys, token2, message_id=message_id)),
        409,
        "c2:message-id-reused",
    )


def test_400_bad_kanal_and_413_too_large(keys, c2):
    token = keys.maskinporten.token()
    _assert_problem(
        _post(c2, token=token, jws=_letter(keys, token), kanal="ikke gyldig!"), 400, "c2:kanal"
    )
    _assert_problem(
        _post(c2, token=token, jws=_letter(keys, token), kanal="x" * 29), 400, "c2:kanal"
    )
    big = requests.post(
        f"{c2.url}/messages/out",
        data=b"x",
        headers={"Authorization": f"Bearer {token}", "Content-Length": str(1 << 40)},
        timeout=10,
    )
    assert big.status_code in (413, 400)


def test_delegated_sender_accepted_and_statuses_only_for_the_owner(keys, c2):
    token = keys.maskinporten.token(SENDER_ORG, supplier=PROCESSOR_ORG)
    sent = letter(keys.processor, token=token, package=b"CMS", processor=PROCESSOR_ORG)
    response = _post(c2, token=token, jws=sent.jws)
    assert response.status_code == 201, response.text
    supplier = keys.maskinporten.token(SENDER_ORG, supplier=PROCESSOR_ORG)
    own = requests.get(
        f"{c2.url}/messages/out/{sent.message_id}/statuses",
        headers={"Authorization": f"Bearer {supplier}"},
        timeout=10,
    )
    assert own.status_code == 200
    assert own.json()[0]["status"] == "OPPRETTET"
    # the consumer itself (without the supplier) is another caller: it does not see the message
    other = requests.get(
        f"{c2.url}/messages/out/{sent.message_id}/statuses",
        headers={"Authorization": f"Bearer {keys.maskinporten.token(SENDER_ORG)}"},
        timeout=10,
    )
    _assert_problem(other, 404, "c2:unknown-message")


def test_403_token_supplier_is_not_the_signer(keys, c2):
    # the token names another supplier than the data processor that signed the letter
    token = keys.maskinporten.token(SENDER_ORG, supplier=OTHER_ORG)
    sent = letter(keys.processor, token=token, package=b"CMS", processor=PROCESSOR_ORG)
    _assert_problem(_post(c2, token=token, jws=sent.jws), 403, "c2:sbdh-sender")


def test_409_reused_by_a_letter_to_the_mailbox_is_checked_after_everything_else(keys, c2):
    token = keys.maskinporten.token()
    sent = letter(keys.sender, token=token, package=b"CMS")
    assert _post(c2, token=token, jws=sent.jws).status_code == 201
    _assert_problem(_post(c2, token=token, jws=sent.jws), 409, "c2:message-id-reused")


def test_messages_in_paging_kanal_and_204(keys, c2):
    owner = f"0192:{OTHER_ORG}"
    for i in range(5):
        c2.store.accept_inbound(
            InboundRecord(
                as4_message_id=f"page-{i}@t",
                from_party="c3",
                receipt=b"\r\nreceipt",
                received_at=utcnow(),
            ),
            receipt=IncomingReceipt(
                id=f"r{i}",
                owner=owner,
                conversation_id="c",
                business_message=f"jws{i}",
                kanal="a" if i % 2 == 0 else None,
                received_at=utcnow(),
            ),
        )
    auth = {"Authorization": f"Bearer {keys.maskinporten.token(OTHER_ORG)}"}
    get = lambda **p: requests.get(f"{c2.url}/messages/in", params=p, headers=auth, timeout=10)  # noqa: E731
    assert [m["forretningsmelding"] for m in get(page_size=2).json()] == ["jws0", "jws1"]
    assert [m["forretningsmelding"] for m in get(page_size=2, page=2).json()] == ["jws4"]
    assert get(page_size=2, page=3).status_code == 204
    assert [m["forretningsmelding"] for m in get(kanal="A").json()] == ["jws0", "jws2", "jws4"]
    _assert_problem(get(page_size=0), 400, "c2:paging")
    _assert_problem(get(page="x"), 400, "c2:paging")
    for loose in ("-1", " 1", "1_0", "\u0663"):  # what int() takes but a query value is not
        _assert_problem(get(page=loose), 400, "c2:paging")
    # Beyond a Java int (integrasjonspunkt's page and size), past what SQLite's 64-bit integers
    # hold (OFFSET is page * page_size) and past the 4300 digits int() converts: whole numbers
    # still, each answered as a bad parameter, not a 500.
    for huge in (str(2**31), "9" * 30, "1" * 5000):
        _assert_problem(get(page=huge), 400, "c2:paging")
        _assert_problem(get(page_size=huge), 400, "c2:paging")
    assert get(page=str(2**31 - 1), page_size=2).status_code == 204  # a page past the end
    assert [m["forretningsmelding"] for m in get(page="0" * 20 + "2", page_size=2).json()] == [
        "jws4"
    ]
    assert (
        requests.post(f"{c2.url}/messages/in/r0/read", headers=auth, timeout=10).status_code == 200
    )
    assert [m["forretningsmelding"] for m in get(kanal="a").json()] == ["jws2", "jws4"]
    _assert_problem(requests.post(f"{c2.url}/messages/in/nope/read", headers=auth, timeout=10), 404)


def test_unknown_path_and_method(keys, c2):
    auth = {"Authorization": f"Bearer {keys.maskinporten.token()}"}
    _assert_problem(requests.get(f"{c2.url}/nothing", headers=auth, timeout=10), 404)
    _assert_problem(requests.get(f"{c2.url}/messages/out", headers=auth, timeout=10), 405)


def test_400_signed_by_another_organisation_than_the_sbdh_sender(keys, c2):
    token = keys.maskinporten.token(SENDER_ORG, supplier=PROCESSOR_ORG)
    sent = letter(keys.processor, token=token, package=b"CMS", processor=PROCESSOR_ORG)
    message = parse_business_message(decode_unverified(sent.jws))
    wrongly_signed = sign_as(
        message, keys.sender
    )  # the consumer's certificate, not the processor's
    _assert_problem(_post(c2, token=token, jws=wrongly_signed), 400, "dpi:signer")
