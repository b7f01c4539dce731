"""Our compact-JWS readers are never laxer than PyJWT's.

A differential test. Every input (a valid token signed with the test PKI, then changed as a
hostile sender would change it) is read by PyJWT, an independent implementation of RFC 7515,
and by our readers:

* ``verify_jws_with_key`` with the signer's public key, with the same key looked up by
  ``kid``, and ``verify_jws`` with the key named by ``x5c`` (all RS256 only), against
  ``PyJWS().decode_complete(token, key, algorithms=["RS256"])``;
* ``decode_unverified`` against PyJWT with ``verify_signature`` off.

If PyJWT refuses a token, we must refuse it too. When we accept what another implementation
refuses, a peer reads the same bytes differently from us: that is where signature confusion
starts. Every refusal of ours must be an InputError. Any other exception escaping is a crash
and counts as a finding on its own. Found when the file was written, and fixed in
``jose.decode_compact``: a ``kid`` that is not a string (RFC 7515 4.1.4), and ``"b64":false``
without ``crit`` (RFC 7797 6), were accepted.

Refusing more than PyJWT is allowed, and we do it on purpose. These cases are not asserted on.
PyJWT accepts them and all of our readers refuse them:

* base64url with ``=`` padding, in any part (RFC 7515 2: base64url "with all trailing '='
  characters omitted"; PyJWT accepts the padding some issuers send);
* a header with a duplicate member name, even when PyJWT's last-wins reading is harmless
  (RFC 7515 4: MUST reject or use the lexically last; RFC 7493 2.3);
* a header that is not strict I-JSON UTF-8: ``NaN``/``Infinity``, a lone surrogate escape,
  a byte order mark, UTF-16 (RFC 7515 5.2 step 3: UTF-8 JSON; RFC 7493 2.1);
* ``jku``, ``jwk``, ``x5u`` (RFC 7515 4.1.2-4.1.5, also spelled with ``\\u`` escapes): the
  verifier chooses the key;
* a token over ``Limits.max_jws_bytes`` (16 MiB);
* ``b64`` other than ``true`` (RFC 7797: we do not support unencoded payloads);
* a number beyond an IEEE 754 double in the header, ``1e999`` (RFC 7493 2.2).

White space around the token (`` \t\r\n``) is not part of it for us (a token read from a file
or from an XML element's text); PyJWT refuses it, so it is given the token without it.

``decode_unverified`` also refuses what PyJWT's unverified read lets through because it does
not look at ``alg``: a missing, empty or non-string ``alg``, ``none``, HS256, PS256, ES256
(RFC 7518 3.1), so a header ``{}`` or the payload object in the header position too.
Only ``verify_jws`` refuses a header without ``x5c`` and an ``x5t`` that names another
certificate (RFC 7515 4.1.6-4.1.8). Only the ``kid`` lookup refuses a token without ``kid``.

PyJWT crashes (UnicodeEncodeError, not a PyJWTError) on a ``str`` token holding a lone
surrogate. We count that as a refusal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pki
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from peppol_dpi.dpi.jws import (
    JwsAlgorithm,
    decode_unverified,
    sign_jws,
    verify_jws,
    verify_jws_with_key,
)
from peppol_dpi.errors import InputError
from peppol_dpi.keys import LocalPrivateKey, SignatureHash


def rsa_public(key: LocalPrivateKey) -> rsa.RSAPublicKey:
    public = key.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    return public


KEY = pki.business_key("sender")
OTHER = pki.business_key("processor")
PUBLIC = rsa_public(KEY)
LEAF = base64.b64encode(KEY.certificate.public_bytes(Encoding.DER)).decode("ascii")
RS256_ONLY = frozenset({JwsAlgorithm.RS256})
PAYLOAD = b'{"iss":"0192:991825827","n":1}'
WHITESPACE = b" \t\r\n"  # what decode_compact strips from both ends

Token = str | bytes


# -- building tokens -----------------------------------------------------------------------------


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def header_json(**members: Any) -> bytes:
    """Compact header JSON: ``x5c`` and ``alg`` as sign_jws writes them, then ``members``.
    A member set to None is dropped."""
    header: dict[str, Any] = {"x5c": [LEAF], "alg": "RS256"}
    header.update(members)
    header = {name: value for name, value in header.items() if value is not None}
    return json.dumps(header, separators=(",", ":")).encode()


def raw_header(members: str) -> bytes:
    """Header JSON written by hand (duplicates, escapes, odd spacing); ``X5C`` is the leaf."""
    return members.replace("X5C", f'"x5c":["{LEAF}"]').encode()


def signed(
    header: bytes | str,
    payload: bytes | str = PAYLOAD,
    *,
    key: LocalPrivateKey = KEY,
    hash_: SignatureHash = SignatureHash.SHA256,
) -> str:
    """A compact JWS signed over the given parts. ``bytes`` parts are base64url-encoded; a ``str``
    part is used as the segment exactly as it is, so broken segments can be signed too."""
    first = b64u(header) if isinstance(header, bytes) else header
    second = b64u(payload) if isinstance(payload, bytes) else payload
    signing_input = f"{first}.{second}"
    signature = key.sign(signing_input.encode("utf-8", "surrogatepass"), hash_)
    return f"{signing_input}.{b64u(signature)}"


def b64u_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def parts(token: str) -> list[str]:
    return token.split(".")


def with_part(token: str, index: int, value: str) -> str:
    split = parts(token)
    split[index] = value
    return ".".join(split)


def non_canonical(segment: str) -> str:
    """The same bytes with one unused bit of the last character set (RFC 4648 3.5)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(segment) % 4 in (2, 3), "the segment has no unused bits"
    last = alphabet.index(segment[-1])
    assert last & 1 == 0
    return segment[:-1] + alphabet[last | 1]


def with_std_alphabet(segment: str) -> str:
    assert "-" in segment or "_" in segment, "nothing to translate"
    return segment.replace("-", "+").replace("_", "/")


def leading_zero_signature() -> str:
    """A valid token whose RSA signature starts with a zero byte, with that byte dropped."""
    for n in range(100_000):
        token = signed(header_json(), b'{"n":%d}' % n)
        signature = b64u_decode(parts(token)[2])
        if signature[0] == 0:
            return with_part(token, 2, b64u(signature[1:]))
    raise AssertionError("no signature with a leading zero byte")


def pss_signed(header: bytes) -> str:
    signing_input = f"{b64u(header)}.{b64u(PAYLOAD)}"
    signature = KEY.key.sign(
        signing_input.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    return f"{signing_input}.{b64u(signature)}"


def hmac_with_public_key(header: bytes) -> str:
    """RS/HS confusion: HMAC keyed with the verifier's PEM public key (RFC 7518 3.2)."""
    secret = PUBLIC.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{b64u(header)}.{b64u(PAYLOAD)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64u(mac)}"


VALID = sign_jws(PAYLOAD, KEY).decode("ascii")
H, P, S = parts(VALID)
# A header whose base64url holds '-' or '_' ('?', '>' and '~' give them), for the alphabet cases.
DASHED = header_json(note="??>>~~")
assert "-" in b64u(DASHED) or "_" in b64u(DASHED)
BIG = 16 * 1024 * 1024  # Limits.max_jws_bytes


# -- the readers ---------------------------------------------------------------------------------


def pyjwt_verified(token: Token) -> None:
    jwt.api_jws.PyJWS().decode_complete(token, PUBLIC, algorithms=["RS256"])


def pyjwt_unverified(token: Token) -> None:
    jwt.api_jws.PyJWS().decode_complete(token, options={"verify_signature": False})


def ours_key(token: Token) -> None:
    verify_jws_with_key(token, PUBLIC, algorithms=RS256_ONLY)


def ours_by_kid(token: Token) -> None:
    verify_jws_with_key(token, {"k1": PUBLIC, "k2": rsa_public(OTHER)}, algorithms=RS256_ONLY)


def ours_x5c(token: Token) -> None:
    verify_jws(token, trust=None, algorithms=RS256_ONLY)


def ours_unverified(token: Token) -> None:
    decode_unverified(token)


# (ours, the PyJWT reading it must never be laxer than)
PAIRS: tuple[tuple[Callable[[Token], None], Callable[[Token], None]], ...] = (
    (ours_key, pyjwt_verified),
    (ours_by_kid, pyjwt_verified),
    (ours_x5c, pyjwt_verified),
    (ours_unverified, pyjwt_unverified),
)


def pyjwt_accepts(read: Callable[[Token], None], token: Token) -> bool:
    try:
        read(token)
    except Exception:  # a PyJWTError, or PyJWT crashing: either way it did not accept
        return False
    return True


def our_verdict(read: Callable[[Token], None], token: Token) -> bool | str:
    """True (accepted), False (refused with an InputError) or a description of a crash."""
    try:
        read(token)
    except InputError:
        return False
    except Exception as exc:
        return f"{read.__name__} crashed: {type(exc).__name__}: {exc}"[:300]
    return True


def findings(token: Token, *, pyjwt_token: Token | None = None) -> list[str]:
    """Every way our readers break the rule on ``token``: laxer than PyJWT, or crashing.
    PyJWT reads ``pyjwt_token`` when given (the hypothesis test uses that for whitespace)."""
    problems = []
    for ours, theirs in PAIRS:
        verdict = our_verdict(ours, token)
        if isinstance(verdict, str):
            problems.append(verdict)
        elif verdict and not pyjwt_accepts(theirs, token if pyjwt_token is None else pyjwt_token):
            problems.append(f"{ours.__name__} accepts what {theirs.__name__} refuses")
    return problems


def as_form(token: Token, form: str) -> Token:
    """The token as a hostile sender hands it over: ``bytes`` off the wire or a ``str``.
    The conversions keep every byte and character, lone surrogates included."""
    if form == "bytes":
        return token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token
    return token.decode("utf-8", "surrogateescape") if isinstance(token, bytes) else token


# -- the cases -----------------------------------------------------------------------------------


def case(id_: str, token: Token, *marks: Any) -> Any:
    return pytest.param(token, id=id_, marks=marks)


CASES = [
    # Controls: PyJWT and all our readers accept these (test_controls_accepted_by_everyone).
    case("valid", VALID),
    case("valid-kid", signed(header_json(kid="k1"))),
    case("valid-typ-cty", signed(header_json(typ="JWT", cty="json"))),
    case("valid-b64-true", signed(header_json(b64=True))),
    case("b64-string", signed(header_json(b64="false"))),  # we refuse any b64 but true
    case("valid-empty-payload", signed(header_json(), b"")),
    case("valid-binary-payload", signed(header_json(), bytes(range(256)))),
    case("header-json-whitespace", signed(raw_header('{ X5C ,\n\t"alg" : "RS256" }'))),
    case("header-alg-escaped", signed(raw_header('{X5C,"alg":"RS\\u0032\\u0035\\u0036"}'))),
    case("header-name-escaped", signed(raw_header('{X5C,"\\u0061lg":"RS256"}'))),
    case("header-unicode-member", signed(raw_header('{X5C,"alg":"RS256","n\\u00e5":"ø"}'))),
    case("header-big-under-limit", signed(header_json(pad="x" * 1_000_000))),
    case("header-float-overflow", signed(raw_header('{X5C,"alg":"RS256","x":1e999}'))),
    # alg (RFC 7515 4.1.1; RFC 7518 3.1). Only RS256 is accepted here.
    case("alg-none", f"{b64u(header_json(alg='none'))}.{P}."),
    case("alg-none-signed", signed(header_json(alg="none"))),
    case("alg-None", f"{b64u(header_json(alg='None'))}.{P}."),
    case("alg-missing", signed(header_json(alg=None))),
    case("alg-null", signed(raw_header('{X5C,"alg":null}'))),
    case("alg-empty", signed(header_json(alg=""))),
    case("alg-list", signed(header_json(alg=["RS256"]))),
    case("alg-lowercase", signed(header_json(alg="rs256"))),
    case("alg-trailing-space", signed(header_json(alg="RS256 "))),
    case("alg-HS256-public-key-secret", hmac_with_public_key(header_json(alg="HS256"))),
    case("alg-RS512-signed-RS512", signed(header_json(alg="RS512"), hash_=SignatureHash.SHA512)),
    case("alg-RS384-signed-RS384", signed(header_json(alg="RS384"), hash_=SignatureHash.SHA384)),
    case("alg-RS256-signed-RS512", signed(header_json(), hash_=SignatureHash.SHA512)),
    case("alg-RS512-signed-RS256", signed(header_json(alg="RS512"))),
    case("alg-PS256", pss_signed(header_json(alg="PS256"))),
    case("alg-PS256-as-RS256", pss_signed(header_json())),
    case("alg-ES256", signed(header_json(alg="ES256"))),
    # crit (RFC 7515 4.1.11) and b64 (RFC 7797 6: b64 MUST be listed in crit).
    case("crit-unknown", signed(header_json(crit=["exp"], exp=1))),
    case("crit-missing-member", signed(header_json(crit=["exp"]))),
    case("crit-empty", signed(header_json(crit=[]))),
    case("crit-not-list", signed(header_json(crit="b64", b64=False))),
    case("crit-b64-detached", signed(header_json(crit=["b64"], b64=False), "")),
    case("crit-b64-attached", signed(header_json(crit=["b64"], b64=False))),
    case("crit-escaped-name", signed(raw_header('{X5C,"alg":"RS256","\\u0063rit":["x"]}'))),
    case(
        "b64-false-no-crit-payload",
        signed(header_json(b64=False)),
    ),
    case(
        "b64-false-no-crit-empty",
        signed(header_json(b64=False), ""),
    ),
    # kid (RFC 7515 4.1.4: a string).
    case(
        "kid-number",
        signed(header_json(kid=5)),
    ),
    case(
        "kid-null",
        signed(raw_header('{X5C,"alg":"RS256","kid":null}')),
    ),
    case(
        "kid-list",
        signed(header_json(kid=["k1"])),
    ),
    case(
        "kid-escaped-name-number",
        signed(raw_header('{X5C,"alg":"RS256","k\\u0069d":{}}')),
    ),
    # Keys by reference or inline (RFC 7515 4.1.2-4.1.6).
    case("jku", signed(header_json(jku="https://attacker.example/jwks"))),
    case("x5u", signed(header_json(x5u="https://attacker.example/cert.pem"))),
    case("jwk", signed(header_json(jwk={"kty": "RSA", "n": "AQAB", "e": "AQAB"}))),
    case("jku-escaped", signed(raw_header('{X5C,"alg":"RS256","\\u006aku":"https://a.example"}'))),
    case("x5c-absent", signed(header_json(x5c=None))),
    case("x5c-other-signer", signed(header_json(x5c=[LEAF]), key=OTHER)),
    case("x5t-wrong", signed(header_json(x5t=b64u(b"\x00" * 20)))),
    # Header JSON (RFC 7515 4: unique names; 5.2 step 3: a UTF-8 JSON object; RFC 7493).
    case("dup-alg-last-none", signed(raw_header('{X5C,"alg":"RS256","alg":"none"}'))),
    case("dup-alg-last-rs256", signed(raw_header('{X5C,"alg":"RS512","alg":"RS256"}'))),
    case("dup-kid-last-string", signed(raw_header('{X5C,"alg":"RS256","kid":5,"kid":"k"}'))),
    case("dup-kid-last-number", signed(raw_header('{X5C,"alg":"RS256","kid":"k","kid":5}'))),
    case("dup-b64-last-true", signed(raw_header('{X5C,"alg":"RS256","b64":false,"b64":true}'))),
    case("dup-crit-last-null", signed(raw_header('{X5C,"alg":"RS256","crit":["x"],"crit":null}'))),
    case("header-array", signed(b'["RS256"]')),
    case("header-string", signed(b'"RS256"')),
    case("header-null", signed(b"null")),
    case("header-number", signed(b"1")),
    case("header-empty-object", signed(b"{}")),
    case("header-empty-bytes", signed(b"")),
    case("header-trailing-garbage", signed(header_json() + b"x")),
    case("header-two-objects", signed(header_json() + header_json())),
    case("header-nan", signed(raw_header('{X5C,"alg":"RS256","x":NaN}'))),
    case("header-infinity", signed(raw_header('{X5C,"alg":"RS256","x":-Infinity}'))),
    case("header-lone-surrogate", signed(raw_header('{X5C,"alg":"RS256","x":"\\ud800"}'))),
    case("header-bom", signed(b"\xef\xbb\xbf" + header_json())),
    case("header-utf16", signed(header_json().decode().encode("utf-16-le"))),
    case("header-latin1", signed(header_json()[:-1] + b',"x":"\xe5"}')),
    case("header-nul-in-json", signed(header_json()[:-1] + b',"x":"\x00"}')),
    case("header-single-quotes", signed(b"{'alg':'RS256'}")),
    case("header-deep-nesting", signed(raw_header('{X5C,"alg":"RS256","x":' + "[" * 100_000))),
    case("header-huge-integer", signed(raw_header('{X5C,"alg":"RS256","x":' + "9" * 5000 + "}"))),
    # base64url (RFC 7515 2 and appendix C: no padding, URL-safe alphabet, nothing else).
    case("pad-header", signed(b64u(header_json()) + "=" * (-len(b64u(header_json())) % 4))),
    case("pad-signature", with_part(VALID, 2, S + "==")),
    case("pad-signature-too-much", with_part(VALID, 2, S + "====")),
    case("pad-signature-short", with_part(VALID, 2, S + "=")),
    case("pad-header-after-signing", with_part(VALID, 0, H + "=" * (-len(H) % 4))),
    case("std-alphabet-header", signed(with_std_alphabet(b64u(DASHED)))),
    case("std-alphabet-signature", with_part(VALID, 2, with_std_alphabet(S))),
    case("non-canonical-header", signed(non_canonical(b64u(header_json(x="ab"))))),
    case("non-canonical-payload", signed(header_json(), non_canonical(b64u(b'{"a":"bc"}')))),
    case("non-canonical-signature", with_part(VALID, 2, non_canonical(S))),
    case("header-length-mod-4-is-1", signed(b64u(header_json()) + "A")),
    case("whitespace-inside-header", signed(H[:10] + " " + H[10:])),
    case("newline-inside-payload", signed(header_json(), P[:4] + "\n" + P[4:])),
    case("tab-inside-signature", with_part(VALID, 2, S[:5] + "\t" + S[5:])),
    case("dot-only", "."),
    case("two-dots", ".."),
    case("empty", ""),
    case("empty-header", f".{P}.{S}"),
    case("empty-payload-unsigned", f"{H}..{S}"),
    case("empty-signature", f"{H}.{P}."),
    case("one-part", H),
    case("two-parts", f"{H}.{P}"),
    case("four-parts", VALID + "."),
    case("four-parts-extra-signature", f"{VALID}.{S}"),
    case("leading-dot", "." + VALID),
    case("double-dot", f"{H}.{P}..{S}"),
    case("signed-four-parts", signed(header_json(), f"{P}.{P}")),
    case(
        "json-serialization-flattened",
        json.dumps({"protected": H, "payload": P, "signature": S}),
    ),
    case(
        "json-serialization-general",
        json.dumps({"payload": P, "signatures": [{"protected": H, "signature": S}]}),
    ),
    # Payload (RFC 7515 5.2 step 8: the signature covers the header and payload segments).
    case("payload-changed", with_part(VALID, 1, b64u(b'{"iss":"0192:000000000","n":1}'))),
    case("payload-appended", with_part(VALID, 1, P + "AAAA")),
    case("payload-truncated", with_part(VALID, 1, P[:-4])),
    case("header-changed", with_part(VALID, 0, b64u(header_json(typ="JWT")))),
    case("parts-swapped", f"{P}.{H}.{S}"),
    case("payload-over-limit", signed(header_json(), b"x" * (BIG * 3 // 4 + 1))),
    # Signature (RFC 7518 3.3: RSASSA-PKCS1-v1_5, as long as the modulus).
    case("signature-other-key", signed(header_json(), key=OTHER)),
    case("signature-truncated-1-char", with_part(VALID, 2, S[:-1])),
    case("signature-truncated-4-chars", with_part(VALID, 2, S[:-4])),
    case("signature-truncated-half", with_part(VALID, 2, S[: len(S) // 2])),
    case("signature-extended", with_part(VALID, 2, S + "AAAA")),
    case("signature-doubled", with_part(VALID, 2, S + S)),
    case("signature-zero-prefixed", with_part(VALID, 2, b64u(b"\x00" + b64u_decode(S)))),
    case("signature-leading-zero-dropped", leading_zero_signature()),
    case("signature-all-zero", with_part(VALID, 2, b64u(bytes(256)))),
    case("signature-huge", with_part(VALID, 2, "A" * 4_000_000)),
    # Leading and trailing whitespace (RFC 7515 7.1: the serialization is the three parts only).
    case(
        "leading-space",
        " " + VALID,
    ),
    case(
        "trailing-newline",
        VALID + "\n",
    ),
    case(
        "trailing-crlf",
        VALID + "\r\n",
    ),
    case(
        "surrounding-tabs",
        "\t" + VALID + "\t",
    ),
    case("trailing-vertical-tab", VALID + "\x0b"),
    case("trailing-nbsp", VALID + "\u00a0"),
    case("leading-bom", "\ufeff" + VALID),
    case("trailing-nul", VALID + "\x00"),
    case("space-after-dot", f"{H}. {P}.{S}"),
    # Non-ASCII (RFC 7515 2, 7.1: three base64url parts and two dots, nothing else).
    case("non-ascii-byte-in-header", H[:8].encode() + b"\xff" + f"{H[8:]}.{P}.{S}".encode()),
    case("non-ascii-byte-at-end", VALID.encode() + b"\x80"),
    case("latin1-e-acute-in-payload", with_part(VALID, 1, P + "é")),
    case("fullwidth-letter", with_part(VALID, 0, "\uff45" + H[1:])),
    case("arabic-digit", with_part(VALID, 2, S[:-2] + "\u0661" + S[-1:])),
    case("lone-surrogate", with_part(VALID, 1, P + "\ud800")),
    case("fullwidth-dot", VALID.replace(".", "\uff0e", 1)),
]


@pytest.mark.parametrize("form", ["str", "bytes"])
@pytest.mark.parametrize("token", CASES)
def test_never_laxer_than_pyjwt(token: Token, form: str) -> None:
    token = as_form(token, form)
    assert findings(token, pyjwt_token=_stripped(token)) == []


def _stripped(token: Token) -> Token:
    """``token`` without the white space around it, which decode_compact drops (by design: a
    token read from a file or an XML element's text) and PyJWT refuses."""
    if isinstance(token, bytes):
        return token.strip(WHITESPACE)
    return token.strip(WHITESPACE.decode())


CONTROLS = {
    "valid",
    "valid-kid",
    "valid-typ-cty",
    "valid-b64-true",
    "valid-empty-payload",
    "valid-binary-payload",
    "header-json-whitespace",
    "header-alg-escaped",
    "header-name-escaped",
    "header-unicode-member",
    "header-big-under-limit",
}


@pytest.mark.parametrize("token", [p for p in CASES if p.id in CONTROLS])
def test_controls_accepted_by_everyone(token: Token) -> None:
    # Without these the differential test could pass by refusing everything.
    has_kid = jwt.get_unverified_header(token).get("kid") == "k1"
    for ours, theirs in PAIRS:
        assert pyjwt_accepts(theirs, token), theirs.__name__
        if ours is not ours_by_kid or has_kid:
            assert our_verdict(ours, token) is True, ours.__name__


# -- random mutations ----------------------------------------------------------------------------

BASES = (
    VALID.encode(),
    signed(header_json(typ="JWT")).encode(),
    signed(b'{"alg":"RS256"}', b"{}").encode(),  # short: mutations land in the header more often
)
INTERESTING = b'=+/-_.AQgw09 \t\r\n\x00\x0b\x80\xff{}"'


@st.composite
def mutated_tokens(draw: st.DrawFn) -> Token:
    """A valid token with one to four bytes replaced, inserted or deleted, as str or bytes."""
    data = bytearray(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        byte = draw(st.sampled_from(INTERESTING) | st.integers(0, 255))
        kind = draw(st.sampled_from(("replace", "insert", "delete")))
        if kind == "insert" or where == len(data):
            data.insert(where, byte)
        elif kind == "replace":
            data[where] = byte
        else:
            del data[where]
    return as_form(bytes(data), draw(st.sampled_from(("str", "bytes"))))


@settings(max_examples=300, deadline=None)
@given(mutated_tokens())
def test_random_mutations_never_laxer(token: Token) -> None:
    assert findings(token, pyjwt_token=_stripped(token)) == []
