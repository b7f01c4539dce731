"""AS4 interoperability with implementations other people wrote.

* phase4: a real signed and encrypted message (its dump) and real receipts from phase4 and
  another access point (BTC AG), phase4's negative test files;
* the PyPI ``as4`` package (0.2.0) in its own virtual environment, both directions, receipts
  both ways;
* python-xmlsec (libxmlsec1): our XML signature references and our AES-GCM/RSA-OAEP encryption.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pki
import pytest
import xmlsec
from as4_support import DOCTYPE, NOW, PROCESS, RECEIVER, SENDER, make_sbd, trust
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from peppol_dpi import ns
from peppol_dpi.as4 import build_message, open_message
from peppol_dpi.as4.dump import read_dump
from peppol_dpi.as4.ebms_xml import parse_messaging
from peppol_dpi.as4.mime import parse_message
from peppol_dpi.as4.model import MessageInfo, Receipt, SignalMessage, UserMessage
from peppol_dpi.as4.receipt import check_receipt
from peppol_dpi.as4.signals import read_answer, write_signal
from peppol_dpi.as4.soap import parse_envelope
from peppol_dpi.as4.stream_receive import open_message_from
from peppol_dpi.as4.stream_send import build_message_to
from peppol_dpi.as4.wss_verify import verify_envelope
from peppol_dpi.errors import EbmsError, InputError
from peppol_dpi.xmlparse import parse_xml

ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).resolve().parent / "as4_peer" / "driver.py"
C2 = pki.ap_key("c2")
C3 = pki.ap_key("c3")


# -- phase4 samples ---------------------------------------------------------------------------


def _envelope_of(data: bytes):  # type: ignore[no-untyped-def]
    headers, body = read_dump(data)
    mime = parse_message(headers, body)
    return mime, parse_envelope(mime.root.body)


def test_phase4_dump_parses_and_its_xml_references_verify(shared: Path) -> None:
    mime, envelope = _envelope_of((shared / "peppol/as4/phase4-dump-raw.as4out").read_bytes())
    um = parse_messaging(envelope.messaging)
    assert isinstance(um, UserMessage)
    assert um.message_id == "17a7c374-efe3-41e2-ac0d-8a8f47529e47@phase4"
    assert (um.sender.id, um.find_property("finalRecipient").value) == ("POP000306", "9915:helger")  # type: ignore[union-attr]
    (attachment,) = mime.attachments
    assert attachment.content_id == um.parts[0].content_id
    # Without the receiver's key (not public) the attachment cannot be decrypted: the
    # SignatureValue and the Messaging and Body digests verify, the cid digest stays unchecked.
    result = verify_envelope(envelope, attachments=None, trust=None)
    assert result.signer.subject.rfc4514_string().startswith("CN=POP000306")
    assert result.attachments_checked is False
    assert [r.uri.split("-")[0] for r in result.references] == ["#phase4", "#id", "cid:phase4"]
    # The real message must fail once its header is touched.
    tampered = (
        (shared / "peppol/as4/phase4-dump-raw.as4out")
        .read_bytes()
        .replace(b"9915:helger", b"9915:helgER")
    )
    with pytest.raises(InputError) as info:
        verify_envelope(_envelope_of(tampered)[1], attachments=None, trust=None)
    assert info.value.ebms_code is EbmsError.FAILED_AUTHENTICATION


@pytest.mark.parametrize("name", ["phase4-helger.as4in", "TestReceipt12.xml"])
def test_real_receipts_verify(shared: Path, name: str) -> None:
    headers, body = read_dump((shared / "peppol/as4/receipts" / name).read_bytes())
    answer = read_answer(200, headers, body, trust=None)
    receipt = check_receipt(answer)
    assert isinstance(answer.signal, SignalMessage) and answer.signal.receipt is not None
    assert len(answer.signal.receipt.references) == 3
    assert receipt.signer_subject.split(",")[0] in ("CN=POP000306", "CN=PDE000576")
    # Their signer is not in our test PKI: with a trust policy it must be refused.
    with pytest.raises(InputError) as info:
        read_answer(200, headers, body, trust=trust())
    assert info.value.rule == "cert:untrusted"


def test_phase4_error_signals_and_soap_fault(shared: Path) -> None:
    files = shared / "peppol/as4/phase4-testfiles"
    answer = read_answer(
        200,
        {"Content-Type": "application/soap+xml"},
        (files / "ErrorMessage.xml").read_bytes(),
        trust=None,
    )
    assert [(e.code, e.known) for e in answer.errors] == [
        ("EBMS:0001", EbmsError.VALUE_NOT_RECOGNIZED)
    ]
    assert answer.verification is None  # unsigned, and reported so
    fault = read_answer(
        500,
        {"Content-Type": "application/soap+xml"},
        (files / "ErrorMessageWithFault.xml").read_bytes(),
        trust=None,
    )
    assert fault.fault is not None and "Certificate revoked" in fault.fault.reason
    assert [e.code for e in fault.errors] == ["EBMS:0103"]
    assert fault.errors[0].is_failure  # severity "Failure" (capitalised) is still a failure
    no_ref = read_answer(
        200,
        {"Content-Type": "application/soap+xml"},
        (files / "ErrorMessageNoRefToMessageID.xml").read_bytes(),
        trust=None,
    )
    assert no_ref.errors[0].ref_to_message_in_error is None


@pytest.mark.parametrize(
    ("name", "code", "rule"),
    [
        ("TwoUserMessages.xml", EbmsError.VALUE_INCONSISTENT, "as4:one-message"),
        ("UserMessageNoPartyID.xml", EbmsError.INVALID_HEADER, "as4:header-missing"),
        (
            "WrongSigningAlgorithm.xml",
            EbmsError.FAILED_AUTHENTICATION,
            "dsig:algorithm-not-allowed",
        ),
        (
            "WrongSigningDigestAlgorithm.xml",
            EbmsError.FAILED_AUTHENTICATION,
            "dsig:algorithm-not-allowed",
        ),
    ],
)
def test_phase4_negative_files_are_refused_with_phase4s_code(
    shared: Path, name: str, code: EbmsError, rule: str
) -> None:
    data = (shared / "peppol/as4/phase4-testfiles" / name).read_bytes()
    with pytest.raises(InputError) as info:
        _, envelope = _envelope_of(data)
        parse_messaging(envelope.messaging)
        verify_envelope(envelope, attachments={}, trust=None)
    assert (info.value.ebms_code, info.value.rule) == (code, rule)


def test_phase4_wrong_compression_is_refused(shared: Path) -> None:
    from peppol_dpi.as4.profile import check_user_message

    mime, envelope = _envelope_of(
        (shared / "peppol/as4/phase4-testfiles/WrongCompression.mime").read_bytes()
    )
    um = parse_messaging(envelope.messaging)
    assert isinstance(um, UserMessage)
    (attachment,) = mime.attachments  # base64 transfer encoding, Content-ID without <>
    assert attachment.content_id == um.parts[0].content_id
    assert bytes(attachment.body[:2]) == b"\x1f\x8b"
    with pytest.raises(InputError) as info:
        check_user_message(um, attachment_count=1)
    assert info.value.ebms_code in (
        EbmsError.VALUE_INCONSISTENT,
        EbmsError.PROCESSING_MODE_MISMATCH,
    )
    assert "peppol:compression" in {p.rule for p in info.value.problems}  # type: ignore[attr-defined]


def test_phase4_nonrepudiation_information_sample(shared: Path) -> None:
    from peppol_dpi.as4.ebms_xml import read_signed_reference

    root = parse_xml(
        (shared / "peppol/as4/phase4-testfiles/NonRepudiationInformation.xml").read_bytes()
    )
    (ref,) = [read_signed_reference(r) for r in root.iter(f"{{{ns.DS}}}Reference")]
    assert ref.uri == "#id-ba025036-a014-4920-a09e-790b16e0395e"
    assert base64.b64encode(ref.digest_value) == b"RIcni4sbaa+5g6cpTI00hCy9PBN9kzI4CZizkbsF5jI="


# -- the PyPI as4 package -----------------------------------------------------------------------


def _drive(python: Path, command: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run one driver command in the as4 venv: JSON request file in, JSON on stdout."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(request, handle)
    try:
        done = subprocess.run(
            [str(python), str(DRIVER), command, handle.name], capture_output=True, timeout=120
        )
    finally:
        Path(handle.name).unlink()
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _pem(tmp: Path, name: str, key: Any) -> tuple[str, str]:
    cert_file, key_file = tmp / f"{name}.cert.pem", tmp / f"{name}.key.pem"
    cert_file.write_bytes(key.certificate.public_bytes(Encoding.PEM))
    key_file.write_bytes(pki.path(f"{name}.key.pem").read_bytes())
    return str(cert_file), str(key_file)


def _ca_files() -> dict[str, Any]:
    return {
        "root": str(pki.path("root-ca.cert.pem")),
        "intermediates": [str(pki.path("ap-ca.cert.pem"))],
    }


def _as4_receives(python: Path, tmp: Path, headers: dict[str, str]) -> dict[str, Any]:
    """The as4 package, as corner 3 (POP000002), receives ``tmp/body`` and writes its signal."""
    cert, key = _pem(tmp, "ap-c3", C3)
    request = {
        "headers": headers,
        "body": str(tmp / "body"),
        "key": key,
        "cert": cert,
        "party": "POP000002",
        "signal_out": str(tmp / "signal"),
        "payload_out": str(tmp / "payload"),
        **_ca_files(),
    }
    return _drive(python, "receive", request)


def _as4_sends(python: Path, tmp_path: Path, note: bytes) -> dict[str, Any]:
    """The as4 package, as corner 2 (POP000001), builds ``tmp/message`` carrying an invoice."""
    invoice = (
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        + note
        + b"</Invoice>"
    )
    (tmp_path / "invoice.xml").write_bytes(invoice)
    cert, key = _pem(tmp_path, "ap-c2", C2)
    return _drive(
        python,
        "send",
        {
            "payload": str(tmp_path / "invoice.xml"),
            "key": key,
            "cert": cert,
            "party": "POP000001",
            "remote_party": "POP000002",
            "remote_cert": str(pki.path("ap-c3.cert.pem")),
            "sender": SENDER,
            "recipient": RECEIVER,
            "document_type": DOCTYPE,
            "process": PROCESS,
            "body_out": str(tmp_path / "message"),
            "references_out": str(tmp_path / "references.json"),
        },
    )


def test_as4_package_accepts_our_message_and_its_receipt_verifies_here(
    as4_python: Path, tmp_path: Path
) -> None:
    sbd = make_sbd(filler=b"interop " * 200)
    headers, body, sent = build_message(
        sbd, key=C2, receiver_cert=C3.certificate, now=NOW, message_id="i1@c2.test"
    )
    (tmp_path / "body").write_bytes(body)
    result = _as4_receives(as4_python, tmp_path, headers)
    assert result["error"] is None and result["successful"] is True, result
    assert (tmp_path / "payload").read_bytes() == sbd
    # Its receipt verifies here and acknowledges exactly what we signed.
    answer = read_answer(
        200, result["signal_headers"], (tmp_path / "signal").read_bytes(), trust=trust()
    )
    receipt = check_receipt(
        answer, message_id=sent.message_id, signed_references=sent.signed_references
    )
    assert receipt.signer_subject.startswith("CN=POP000002")


def test_as4_package_rejects_our_tampered_message(as4_python: Path, tmp_path: Path) -> None:
    headers, body, _ = build_message(
        make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id="i2@c2.test"
    )
    tampered = body.replace(b"<eb:ConversationId>i2@c2.test", b"<eb:ConversationId>i3@c2.test")
    (tmp_path / "body").write_bytes(tampered)
    result = _as4_receives(as4_python, tmp_path, headers)
    assert result["successful"] is False and result["error"], result
    answer = read_answer(
        200, result["signal_headers"], (tmp_path / "signal").read_bytes(), trust=None
    )
    assert answer.errors and answer.errors[0].is_failure


def test_message_built_by_as4_package_opens_here_and_our_receipt_verifies_there(
    as4_python: Path, tmp_path: Path
) -> None:
    result = _as4_sends(as4_python, tmp_path, b"<Note>from as4</Note>")
    received = open_message(
        result["headers"], (tmp_path / "message").read_bytes(), key=C3, trust=trust()
    )
    assert received.user_message.sender.id == "POP000001"
    assert str(received.routing.sender) == f"iso6523-actorid-upis::{SENDER}"
    assert b"<Note>from as4</Note>" in received.payload
    signal = SignalMessage(
        message_info=MessageInfo(
            timestamp=NOW, message_id="r9@c3.test", ref_to_message_id=received.message_id
        ),
        receipt=Receipt(references=received.signed_references),
    )
    _, receipt_body = write_signal(signal, key=C3)
    (tmp_path / "receipt").write_bytes(receipt_body)
    checked = _drive(
        as4_python,
        "check-receipt",
        {
            "receipt": str(tmp_path / "receipt"),
            "signer": str(pki.path("ap-c3.cert.pem")),
            "references": str(tmp_path / "references.json"),
        },
    )
    assert checked == {"verified": True, "ref_to_message_id": result["message_id"]}


def test_as4_package_accepts_our_streamed_message_and_its_message_streams_open_here(
    as4_python: Path, tmp_path: Path
) -> None:
    # Our streaming builder (build_message_to) -> the as4 package as receiver.
    sbd = make_sbd(filler=b"streamed interop " * 5000)
    (tmp_path / "sbd.xml").write_bytes(sbd)
    with (tmp_path / "body").open("wb") as sink:
        headers, _ = build_message_to(
            tmp_path / "sbd.xml",
            sink,
            key=C2,
            receiver_cert=C3.certificate,
            now=NOW,
            message_id="s1@c2.test",
        )
    result = _as4_receives(as4_python, tmp_path, headers)
    assert result["error"] is None and result["successful"] is True, result
    assert (tmp_path / "payload").read_bytes() == sbd
    # The as4 package as sender -> our streaming opener (open_message_from).
    sent = _as4_sends(as4_python, tmp_path, b"<Note>streamed from as4</Note>")
    payload = io.BytesIO()
    opened = open_message_from(
        tmp_path / "message", sent["headers"], key=C3, trust=trust(), payload_sink=payload
    )
    assert opened.user_message.sender.id == "POP000001"
    assert b"<Note>streamed from as4</Note>" in payload.getvalue()


# -- python-xmlsec (libxmlsec1) ------------------------------------------------------------------


def test_xmlsec_computes_our_xml_reference_digests_and_decrypts_our_attachment() -> None:
    sbd = make_sbd()
    headers, body, _ = build_message(
        sbd, key=C2, receiver_cert=C3.certificate, now=NOW, message_id="x1@c2.test"
    )
    mime = parse_message(headers, body)
    root = parse_xml(bytes(mime.root.body))
    # libxmlsec has no SwA attachment transform: it recomputes our Messaging and Body digests.
    signature = root.find(f".//{{{ns.DS}}}Signature")
    assert signature is not None
    ours = {
        r.get("URI"): r.findtext(f"{{{ns.DS}}}DigestValue")
        for r in signature.iter(f"{{{ns.DS}}}Reference")
    }
    theirs = _xmlsec_reference_digests(root)
    assert len(theirs) == 2 and theirs == {uri: ours[uri] for uri in theirs}
    # A self-contained EncryptedData (our EncryptedKey inline, our ciphertext as CipherValue)
    # decrypts with libxmlsec to exactly the gzip we signed.
    assert gzip.decompress(_xmlsec_decrypt(root, bytes(mime.attachments[0].body))) == sbd


def test_xmlsec_verifies_our_signed_receipt() -> None:
    headers, body, _ = build_message(
        make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id="x2@c2.test"
    )
    received = open_message(headers, body, key=C3, trust=trust())
    signal = SignalMessage(
        message_info=MessageInfo(
            timestamp=NOW, message_id="r2@c3.test", ref_to_message_id=received.message_id
        ),
        receipt=Receipt(references=received.signed_references),
    )
    _, receipt = write_signal(signal, key=C3)
    root = parse_xml(receipt)
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(
        C3.certificate.public_bytes(Encoding.PEM), xmlsec.constants.KeyDataFormatCertPem
    )
    ctx.register_id(root.find(f".//{{{ns.EB}}}Messaging"), "Id", ns.WSU)
    ctx.register_id(root.find(f"{{{ns.SOAP12}}}Body"), "Id", ns.WSU)
    signature = root.find(f".//{{{ns.DS}}}Signature")
    ctx.verify(signature)  # raises xmlsec.VerificationError when anything is off
    tampered = parse_xml(receipt.replace(b"r2@c3.test", b"r3@c3.test"))
    ctx.register_id(tampered.find(f".//{{{ns.EB}}}Messaging"), "Id", ns.WSU)
    ctx.register_id(tampered.find(f"{{{ns.SOAP12}}}Body"), "Id", ns.WSU)
    with pytest.raises(xmlsec.Error):
        ctx.verify(tampered.find(f".//{{{ns.DS}}}Signature"))


def _xmlsec_reference_digests(root: etree._Element) -> dict[str | None, str | None]:
    """Let xmlsec sign a copy of our SignedInfo's XML references and read back its digests."""
    copy = parse_xml(etree.tostring(root))
    signature = copy.find(f".//{{{ns.DS}}}Signature")
    assert signature is not None
    for ref in list(signature.iter(f"{{{ns.DS}}}Reference")):
        if (ref.get("URI") or "").startswith("cid:"):
            ref.getparent().remove(ref)  # type: ignore[union-attr]
        else:
            ref.find(f"{{{ns.DS}}}DigestValue").text = ""  # type: ignore[union-attr]
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(
        pki.path("ap-c2.key.pem").read_bytes(), xmlsec.constants.KeyDataFormatPem
    )
    ctx.register_id(copy.find(f".//{{{ns.EB}}}Messaging"), "Id", ns.WSU)
    ctx.register_id(copy.find(f"{{{ns.SOAP12}}}Body"), "Id", ns.WSU)
    ctx.sign(signature)
    return {
        r.get("URI"): r.findtext(f"{{{ns.DS}}}DigestValue")
        for r in signature.iter(f"{{{ns.DS}}}Reference")
    }


def _xmlsec_decrypt(root: etree._Element, ciphertext: bytes) -> bytes:
    encrypted_key = root.find(f".//{{{ns.XENC}}}EncryptedKey")
    encrypted_data = root.find(f".//{{{ns.XENC}}}EncryptedData")
    assert encrypted_key is not None and encrypted_data is not None
    shadow = etree.Element(f"{{{ns.XENC}}}EncryptedData", nsmap={"xenc": ns.XENC, "ds": ns.DS})
    shadow.append(
        etree.fromstring(etree.tostring(encrypted_data.find(f"{{{ns.XENC}}}EncryptionMethod")))
    )
    key_info = etree.SubElement(shadow, f"{{{ns.DS}}}KeyInfo")
    inline_key = etree.SubElement(key_info, f"{{{ns.XENC}}}EncryptedKey")
    for child in encrypted_key:
        if etree.QName(child).localname in ("EncryptionMethod", "CipherData"):
            inline_key.append(etree.fromstring(etree.tostring(child)))
    cipher = etree.SubElement(
        etree.SubElement(shadow, f"{{{ns.XENC}}}CipherData"), f"{{{ns.XENC}}}CipherValue"
    )
    cipher.text = base64.b64encode(ciphertext).decode()
    manager = xmlsec.KeysManager()
    manager.add_key(
        xmlsec.Key.from_memory(
            pki.path("ap-c3.key.pem").read_bytes(), xmlsec.constants.KeyDataFormatPem
        )
    )
    plain: bytes = xmlsec.EncryptionContext(manager).decrypt(shadow)
    return plain


def test_signxml_verifies_our_whole_signature_over_what_libxmlsec_decrypted() -> None:
    # Two independent implementations together check everything: libxmlsec decrypts the
    # attachment, signxml verifies the SignatureValue and all three digests (cid: included).
    import signxml

    headers, body, _ = build_message(
        make_sbd(), key=C2, receiver_cert=C3.certificate, now=NOW, message_id="x3@c2.test"
    )
    mime = parse_message(headers, body)
    soap = bytes(mime.root.body)
    gzipped = _xmlsec_decrypt(parse_xml(soap), bytes(mime.attachments[0].body))
    cid = f"cid:{mime.attachments[0].content_id}"
    config = signxml.SignatureConfiguration(
        location=f"./{{{ns.SOAP12}}}Header/{{{ns.WSSE}}}Security/", expect_references=3
    )
    results = signxml.XMLVerifier().verify(
        soap,
        x509_cert=C2.certificate.public_bytes(Encoding.PEM).decode(),
        validate_schema=False,
        uri_resolver=lambda uri: gzipped if uri == cid else None,
        expect_config=config,
    )
    assert len(results) == 3
    with pytest.raises(signxml.exceptions.InvalidDigest):
        signxml.XMLVerifier().verify(
            soap,
            x509_cert=C2.certificate.public_bytes(Encoding.PEM).decode(),
            validate_schema=False,
            uri_resolver=lambda uri: gzipped + b"x" if uri == cid else None,
            expect_config=config,
        )
