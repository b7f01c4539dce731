"""A received message is authenticated before anything in it is decrypted.

The signature over eb:Messaging and the Body, the signer's certificate (through the trust
policy) and the Peppol profile are checked first; only then is the receiver's private key used
and the attachments decrypted, whose digests are compared last
(:meth:`WssVerification.with_attachments`). A sender the trust policy refuses never gets an RSA
private-key operation out of the receiver (nor, streaming, a large attachment decrypted into a
spool), and the key-transport decryption is never an oracle for an unauthenticated peer.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable

import pki
import pytest
from as4_support import NOW, make_sbd, trust
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.as4 import build_message, open_message, receive
from peppol_dpi.as4.mime import parse_message
from peppol_dpi.as4.soap import parse_envelope
from peppol_dpi.as4.stream_receive import open_message_from
from peppol_dpi.as4.wss_encrypt import decrypt_attachments
from peppol_dpi.as4.wss_verify import WssVerification, verify_envelope
from peppol_dpi.errors import EbmsError, InputError, SignatureError, UsageError
from peppol_dpi.keys import LocalPrivateKey
from peppol_dpi.xmldsig import DigestMethod, ExternalDigest, check_external

C2 = pki.ap_key("c2")
C3 = pki.ap_key("c3")


def _build(
    *, signer: LocalPrivateKey = C2, receiver: x509.Certificate | None = None
) -> tuple[dict[str, str], bytes]:
    headers, body, _ = build_message(
        make_sbd(),
        key=signer,
        receiver_cert=receiver or C3.certificate,
        now=NOW,
        message_id="m1@c2.test",
    )
    return dict(headers), body


def _open_bytes(headers: dict[str, str], body: bytes, key: pki.CountingKey) -> object:
    return open_message(headers, body, key=key, trust=trust(), at=NOW)


def _open_streamed(headers: dict[str, str], body: bytes, key: pki.CountingKey) -> object:
    return open_message_from(
        io.BytesIO(body), headers, key=key, trust=trust(), payload_sink=io.BytesIO(), at=NOW
    )


OPENERS: dict[str, Callable[[dict[str, str], bytes, pki.CountingKey], object]] = {
    "bytes": _open_bytes,
    "streamed": _open_streamed,
}


def _bad_signature_value(body: bytes) -> bytes:
    start = body.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    flipped = b"A" if body[start : start + 1] != b"A" else b"B"
    return body[:start] + flipped + body[start + 1 :]


@pytest.mark.parametrize("opener", OPENERS.values(), ids=OPENERS.keys())
@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("wrong CA", "cert:untrusted"),
        ("expired", "cert:expired"),
        ("bad SignatureValue", "dsig:bad-signature-value"),
    ],
)
def test_an_unauthenticated_message_never_uses_the_private_key(
    opener: Callable[[dict[str, str], bytes, pki.CountingKey], object], case: str, rule: str
) -> None:
    if case == "wrong CA":
        headers, body = _build(signer=pki.wrong_ca_key())
    elif case == "expired":
        headers, body = _build(signer=pki.expired_key())
    else:
        headers, body = _build()
        body = _bad_signature_value(body)
    key = pki.CountingKey(C3)
    with pytest.raises(InputError) as info:
        opener(headers, body, key)
    assert (info.value.ebms_code, info.value.rule) == (EbmsError.FAILED_AUTHENTICATION, rule)
    assert key.decryptions == []


@pytest.mark.parametrize("opener", OPENERS.values(), ids=OPENERS.keys())
def test_an_authenticated_message_uses_the_key_once(
    opener: Callable[[dict[str, str], bytes, pki.CountingKey], object],
) -> None:
    headers, body = _build()
    key = pki.CountingKey(C3)
    opener(headers, body, key)
    assert len(key.decryptions) == 1


def test_a_message_both_untrusted_and_undecryptable_is_refused_as_unauthenticated() -> None:
    # Encrypted for another receiver and signed under a CA nobody trusts: the answer names
    # the signer (EBMS:0101), not the decryption (EBMS:0102), which it never reached.
    headers, body = _build(signer=pki.wrong_ca_key(), receiver=C2.certificate)
    reception = receive(headers, body, key=pki.CountingKey(C3), trust=trust(), at=NOW)
    assert reception.error is not None
    assert (reception.error.ebms_code, reception.error.rule) == (
        EbmsError.FAILED_AUTHENTICATION,
        "cert:untrusted",
    )
    # Trusted but encrypted for another receiver: the decryption fails, after authentication.
    headers, body = _build(receiver=C2.certificate)
    key = pki.CountingKey(C3)
    reception = receive(headers, body, key=key, trust=trust(), at=NOW)
    assert reception.error is not None
    assert reception.error.ebms_code is EbmsError.FAILED_DECRYPTION
    assert len(key.decryptions) == 1


# -- WssVerification.with_attachments -------------------------------------------------------


def _verified_header() -> tuple[WssVerification, dict[str, tuple[str | None, bytes]]]:
    """The signature of a built message verified without its attachment, and the attachment."""
    headers, body = _build()
    mime = parse_message(headers, body)
    envelope = parse_envelope(mime.root.body)
    verification = verify_envelope(envelope, attachments=None, trust=trust(), at=NOW)
    decrypted = decrypt_attachments(envelope.security, mime, C3)  # type: ignore[arg-type]
    return verification, {cid: (p.mime_type, p.content) for cid, p in decrypted.items()}


def test_the_attachment_digest_is_checked_after_decryption() -> None:
    verification, attachments = _verified_header()
    assert verification.attachments_checked is False
    assert [r.digest_checked for r in verification.verified] == [True, True, False]
    checked = verification.with_attachments(attachments)
    assert checked.attachments_checked is True
    assert all(r.digest_checked for r in checked.verified)
    assert checked.references == verification.references
    # Given as a digest computed while streaming, the same.
    ((cid, (mime_type, content)),) = attachments.items()
    streamed = {DigestMethod.SHA256: hashlib.sha256(content).digest()}
    assert verification.with_attachments(
        {cid: (mime_type, ExternalDigest(streamed))}
    ).attachments_checked


def test_with_attachments_refuses_what_verify_would_have_refused() -> None:
    verification, attachments = _verified_header()
    ((cid, (mime_type, content)),) = attachments.items()
    cases: list[tuple[dict[str, tuple[str | None, bytes | ExternalDigest]], str]] = [
        ({cid: (mime_type, content + b"x")}, "dsig:digest-mismatch"),
        ({}, "dsig:unresolved-reference"),
        ({"other@c2": (mime_type, content)}, "dsig:unresolved-reference"),
        ({cid: (mime_type, content), "extra@c2": ("application/gzip", b"x")}, "wss:coverage"),
        ({cid: (mime_type, ExternalDigest({}))}, "dsig:digest-unavailable"),
    ]
    for given, rule in cases:
        with pytest.raises(SignatureError) as info:
            verification.with_attachments(given)
        assert (info.value.rule, info.value.ebms_code) == (rule, EbmsError.FAILED_AUTHENTICATION)


def test_check_external_takes_only_an_unchecked_external_reference() -> None:
    verification, attachments = _verified_header()
    messaging, _, attachment = verification.verified
    with pytest.raises(UsageError):
        check_external(messaging, b"anything")
    ((_, (_, content)),) = attachments.items()
    done = check_external(attachment, content)
    assert done.digest_checked
    with pytest.raises(UsageError):
        check_external(done, content)
    with pytest.raises(SignatureError) as info:
        check_external(attachment, content[:-1])
    assert info.value.rule == "dsig:digest-mismatch"


# -- the digest methods come from the verified signature ------------------------------------


def _with_sha512_reference(
    headers: dict[str, str], body: bytes, digest: Callable[[bytes], bytes]
) -> bytes:
    """``body`` with the attachment's reference changed to SHA-512, its DigestValue
    ``digest(gzip bytes)``, and the SignedInfo signed again with the sender's key."""
    mime = parse_message(headers, body)
    envelope = parse_envelope(mime.root.body)
    assert envelope.security is not None
    ((_, part),) = decrypt_attachments(envelope.security, mime, C3).items()
    signature = envelope.security.find(f"{{{ns.DS}}}Signature")
    assert signature is not None
    signed_info = signature.find(f"{{{ns.DS}}}SignedInfo")
    assert signed_info is not None
    for reference in signed_info.iterfind(f"{{{ns.DS}}}Reference"):
        if (reference.get("URI") or "").startswith("cid:"):
            method = reference.find(f"{{{ns.DS}}}DigestMethod")
            value = reference.find(f"{{{ns.DS}}}DigestValue")
            assert method is not None and value is not None
            method.set("Algorithm", DigestMethod.SHA512.value)
            value.text = base64.b64encode(digest(part.content)).decode()
    canonical = etree.tostring(
        signed_info, method="c14n", exclusive=True, inclusive_ns_prefixes=["S12"]
    )
    value_element = signature.find(f"{{{ns.DS}}}SignatureValue")
    assert value_element is not None
    value_element.text = base64.b64encode(
        C2.key.sign(canonical, padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    return body.replace(bytes(mime.root.body), etree.tostring(envelope.root))


@pytest.mark.parametrize("opener", OPENERS.values(), ids=OPENERS.keys())
def test_the_attachment_is_digested_with_the_method_its_reference_names(
    opener: Callable[[dict[str, str], bytes, pki.CountingKey], object],
) -> None:
    # The streaming opener digests the attachment while decrypting it, with the methods of
    # the references the verified signature has for it; the bytes opener hashes it after.
    headers, body = _build()
    sha512 = _with_sha512_reference(headers, body, lambda gz: hashlib.sha512(gz).digest())
    opened = opener(headers, sha512, pki.CountingKey(C3))
    methods = [r.digest_method for r in opened.signed_references]  # type: ignore[attr-defined]
    assert methods == [DigestMethod.SHA256.value] * 2 + [DigestMethod.SHA512.value]
    wrong = _with_sha512_reference(headers, body, lambda _: hashlib.sha512(b"other").digest())
    with pytest.raises(SignatureError) as info:
        opener(headers, wrong, pki.CountingKey(C3))
    assert info.value.rule == "dsig:digest-mismatch"
