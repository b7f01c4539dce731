"""WS-Security encryption of SOAP attachments (WSS SwA profile 1.1, XML Encryption 1.1).

What Peppol AS4 requires (CEF eDelivery AS4 1.14 "Message Protection", Peppol AS4 2.0.3):

* every payload part is encrypted with AES-128-GCM under one fresh content key; the part body
  becomes ``IV (12 bytes) || ciphertext || tag (16 bytes)``, no AAD (XML Enc 1.1 5.2.4);
* ``xenc:EncryptedData`` per part, Type ``Attachment-Content-Only`` (SwA 1.1 5.4.2; never
  ``Attachment-Complete``: Oxalis-AS4 issue 76), ``CipherReference URI="cid:..."`` with the
  ``Attachment-Ciphertext-Transform``, ``MimeType`` = the part's type before encryption;
* the key transported in one ``xenc:EncryptedKey`` with xmlenc11 ``rsa-oaep``, digest SHA-256
  and ``mgf1sha256`` to the receiver certificate, referenced as a BinarySecurityToken.

Decryption also accepts ``xmlenc#rsa-oaep-mgf1p`` (older Holodeck) and SHA-1 OAEP parameters
(CEF AS4 1.14: MAY for backwards compatibility). Every cryptographic failure raises the same
:class:`~peppol_dpi.errors.DecryptionError` (EBMS:0102): the sender learns nothing about why.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .. import ns
from ..errors import DecryptionError, UsageError
from ..ids import random_uuid
from ..keys import PrivateKey, RsaPadding
from ..xmlparse import Element, first_child
from ..xmltext import attr, base64_binary
from .mime import MimeMessage
from .wss_tokens import SecurityIds, SecurityPolicyError, bst_xml, resolve_str, str_xml

__all__ = [
    "AES128_GCM",
    "ATTACHMENT_CIPHERTEXT_TRANSFORM",
    "ATTACHMENT_CONTENT_ONLY",
    "GCM_IV_BYTES",
    "GCM_TAG_BYTES",
    "RSA_OAEP",
    "RSA_OAEP_MGF1P",
    "AttachmentKey",
    "DecryptedPart",
    "EncryptedParts",
    "attachment_keys",
    "decrypt_attachments",
    "encrypt_attachments",
    "encryption_header",
]

AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
_AES_GCM = {AES128_GCM: 16, "http://www.w3.org/2009/xmlenc11#aes256-gcm": 32}
RSA_OAEP = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
_MGF1_SHA256 = "http://www.w3.org/2009/xmlenc11#mgf1sha256"
_MGF1_SHA1 = "http://www.w3.org/2009/xmlenc11#mgf1sha1"
ATTACHMENT_CONTENT_ONLY = (
    "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only"
)
ATTACHMENT_CIPHERTEXT_TRANSFORM = (
    "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform"
)
_ENCRYPTED_KEY_TOKEN = (
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"  # noqa: S105
)
#: AES-GCM nonce and tag sizes: an encrypted part is IV || ciphertext || tag (XML Enc 1.1 5.2.4).
GCM_IV_BYTES = 12
GCM_TAG_BYTES = 16

_OAEP_SHA256 = padding.OAEP(
    mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


@dataclass(frozen=True)
class EncryptedParts:
    """The result of encryption: the header text in phase4's order and the new part bodies.

    ``header_xml`` = receiver BinarySecurityToken, EncryptedKey, EncryptedData...; each
    ``bodies[cid]`` is ``(iv, ciphertext_and_tag)`` so the MIME writer need not join them.
    """

    header_xml: str
    bodies: Mapping[str, tuple[bytes, bytes]]


def encrypt_attachments(
    parts: Sequence[tuple[str, str, bytes | memoryview]],
    receiver_cert: x509.Certificate,
    *,
    new_id: Callable[[], str] = random_uuid,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> EncryptedParts:
    """Encrypt ``(content_id, mime_type_before_encryption, content)`` parts for the receiver."""
    if not parts:
        raise UsageError("nothing to encrypt")
    cek = random_bytes(16)
    header = encryption_header(
        [(content_id, mime_type) for content_id, mime_type, _ in parts],
        receiver_cert,
        cek,
        new_id=new_id,
    )
    aead = AESGCM(cek)
    bodies: dict[str, tuple[bytes, bytes]] = {}
    for content_id, _, content in parts:
        iv = random_bytes(GCM_IV_BYTES)
        bodies[content_id] = (iv, aead.encrypt(iv, content, None))
    return EncryptedParts(header_xml=header, bodies=bodies)


def encryption_header(
    parts: Sequence[tuple[str, str]],
    receiver_cert: x509.Certificate,
    cek: bytes,
    *,
    new_id: Callable[[], str] = random_uuid,
) -> str:
    """The header text (receiver BST, EncryptedKey, one EncryptedData per part) for
    ``(content_id, mime_type_before_encryption)`` parts encrypted under ``cek``, the key an
    attachment encrypted by the caller (streamed, say) used. Written for a ``wsse:Security``
    header, which declares ``wsse`` and ``wsu``."""
    public_key = receiver_cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UsageError("the receiver certificate must hold an RSA key (Peppol AS4)")
    if not parts:
        raise UsageError("nothing to encrypt")
    bst_id = f"X509-{new_id()}"
    ek_id = f"EK-{new_id()}"
    data_ids = [f"ED-{new_id()}" for _ in parts]
    wrapped = base64.b64encode(public_key.encrypt(cek, _OAEP_SHA256)).decode("ascii")
    references = "".join(f'<xenc:DataReference URI="#{attr(i)}"/>' for i in data_ids)
    encrypted_key = (
        f'<xenc:EncryptedKey xmlns:xenc="{ns.XENC}" Id="{attr(ek_id)}">'
        f'<xenc:EncryptionMethod Algorithm="{RSA_OAEP}">'
        f'<ds:DigestMethod xmlns:ds="{ns.DS}" Algorithm="{_SHA256}"/>'
        f'<xenc11:MGF xmlns:xenc11="{ns.XENC11}" Algorithm="{_MGF1_SHA256}"/>'
        "</xenc:EncryptionMethod>"
        f'<ds:KeyInfo xmlns:ds="{ns.DS}">{str_xml(bst_id)}</ds:KeyInfo>'
        f"<xenc:CipherData><xenc:CipherValue>{wrapped}</xenc:CipherValue></xenc:CipherData>"
        f"<xenc:ReferenceList>{references}</xenc:ReferenceList></xenc:EncryptedKey>"
    )
    return "".join(
        [
            bst_xml(receiver_cert, bst_id),
            encrypted_key,
            *(
                _encrypted_data(data_id, ek_id, content_id, mime_type)
                for (content_id, mime_type), data_id in zip(parts, data_ids, strict=True)
            ),
        ]
    )


def _encrypted_data(data_id: str, ek_id: str, content_id: str, mime_type: str) -> str:
    key_reference = str_xml(ek_id, value_type=None, token_type=_ENCRYPTED_KEY_TOKEN)
    return (
        f'<xenc:EncryptedData xmlns:xenc="{ns.XENC}" Id="{attr(data_id)}"'
        f' MimeType="{attr(mime_type)}" Type="{ATTACHMENT_CONTENT_ONLY}">'
        f'<xenc:EncryptionMethod Algorithm="{AES128_GCM}"/>'
        f'<ds:KeyInfo xmlns:ds="{ns.DS}">{key_reference}</ds:KeyInfo>'
        f'<xenc:CipherData><xenc:CipherReference URI="cid:{attr(content_id)}"><xenc:Transforms>'
        f'<ds:Transform xmlns:ds="{ns.DS}" Algorithm="{ATTACHMENT_CIPHERTEXT_TRANSFORM}"/>'
        "</xenc:Transforms></xenc:CipherReference></xenc:CipherData></xenc:EncryptedData>"
    )


# -- decryption ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DecryptedPart:
    """A decrypted attachment: its content and the MIME type it had before encryption."""

    content_id: str
    mime_type: str | None
    content: bytes


def _oaep_padding(method: Element) -> RsaPadding:
    algorithm = method.get("Algorithm")
    digest_el = first_child(method, _q(ns.DS, "DigestMethod"))
    digest = digest_el.get("Algorithm") if digest_el is not None else _SHA1
    if algorithm == RSA_OAEP:  # XML Enc 1.1 5.5.2: defaults SHA-1 digest, MGF1 with SHA-1
        mgf_el = first_child(method, _q(ns.XENC11, "MGF"))
        mgf = mgf_el.get("Algorithm") if mgf_el is not None else _MGF1_SHA1
    elif algorithm == RSA_OAEP_MGF1P:  # XML Enc 1.0 5.4.2: MGF1 is always SHA-1
        mgf = _MGF1_SHA1
    else:
        raise SecurityPolicyError(
            f"key transport {algorithm!r} is not RSA-OAEP (Peppol AS4)", rule="xenc:key-transport"
        )
    choice = {
        (_SHA256, _MGF1_SHA256): RsaPadding.OAEP_SHA256_MGF1_SHA256,
        (_SHA1, _MGF1_SHA1): RsaPadding.OAEP_SHA1_MGF1_SHA1,
        (_SHA256, _MGF1_SHA1): RsaPadding.OAEP_SHA256_MGF1_SHA1,
    }.get((digest or "", mgf or ""))
    if choice is None:
        raise SecurityPolicyError(
            f"RSA-OAEP with digest {digest} and {mgf} is not supported", rule="xenc:key-transport"
        )
    return choice


def _cipher_value(encrypted_key: Element) -> bytes:
    value = first_child(encrypted_key, _q(ns.XENC, "CipherData"), _q(ns.XENC, "CipherValue"))
    try:
        return base64_binary(value.text or "" if value is not None else "")
    except (binascii.Error, ValueError):
        raise DecryptionError() from None


def _content_key(encrypted_key: Element, security: SecurityIds, key: PrivateKey) -> bytes:
    method = first_child(encrypted_key, _q(ns.XENC, "EncryptionMethod"))
    if method is None:
        raise SecurityPolicyError(
            "xenc:EncryptedKey has no EncryptionMethod", rule="xenc:key-transport"
        )
    rsa_padding = _oaep_padding(method)
    # Peppol AS4: the decryption certificate must be a BST direct reference (phase4 EBMS:0103).
    resolve_str(first_child(encrypted_key, _q(ns.DS, "KeyInfo")), security, what="EncryptedKey")
    return key.decrypt(_cipher_value(encrypted_key), rsa_padding)


@dataclass(frozen=True)
class AttachmentKey:
    """The content key of one encrypted attachment, None when it could not be unwrapped
    (the caller reports that as a DecryptionError once every part was tried)."""

    content_id: str
    mime_type: str | None
    key: bytes | None


def attachment_keys(
    security: Element | SecurityIds, has_part: Callable[[str], bool], key: PrivateKey
) -> list[AttachmentKey]:
    """The content key of every attachment the ``wsse:Security`` header (or its id index)
    encrypted.

    ``has_part`` tells whether the message carries an attachment with a given Content-ID.
    """
    ids = security if isinstance(security, SecurityIds) else SecurityIds(security)
    security = ids.security
    keys_found = list(security.iterchildren(_q(ns.XENC, "EncryptedKey")))
    content_keys: dict[int, bytes | None] = {}
    result: list[AttachmentKey] = []
    for ed in security.iterchildren(_q(ns.XENC, "EncryptedData")):
        content_id, algorithm = _check_encrypted_data(ed)
        ek = _encrypted_key_for(ed, ids, keys_found)
        if not has_part(content_id):
            raise SecurityPolicyError(
                f"the encrypted attachment <{content_id}> is missing", rule="xenc:missing-part"
            )
        if id(ek) not in content_keys:
            try:
                content_keys[id(ek)] = _content_key(ek, ids, key)
            except DecryptionError:
                content_keys[id(ek)] = None  # keep going: every part costs the same
        cek = content_keys[id(ek)]
        usable = cek is not None and len(cek) == _AES_GCM[algorithm]
        result.append(AttachmentKey(content_id, ed.get("MimeType"), cek if usable else None))
    return result


def decrypt_attachments(
    security: Element | SecurityIds, message: MimeMessage, key: PrivateKey
) -> dict[str, DecryptedPart]:
    """Decrypt every attachment the ``wsse:Security`` header (or its id index) encrypted, keyed
    by Content-ID."""
    result: dict[str, DecryptedPart] = {}
    failure = False
    for found in attachment_keys(security, lambda cid: message.attachment(cid) is not None, key):
        part = message.attachment(found.content_id)
        assert part is not None
        body = part.body
        try:
            if found.key is None or len(body) < GCM_IV_BYTES + GCM_TAG_BYTES:
                raise DecryptionError()
            plain = AESGCM(found.key).decrypt(body[:GCM_IV_BYTES], body[GCM_IV_BYTES:], None)
        except (DecryptionError, InvalidTag, ValueError):
            failure = True  # keep going: every part costs the same, the error says nothing
            continue
        result[found.content_id] = DecryptedPart(
            content_id=found.content_id, mime_type=found.mime_type, content=plain
        )
    if failure:
        raise DecryptionError()
    return result


def _check_encrypted_data(ed: Element) -> tuple[str, str]:
    if ed.get("Type") != ATTACHMENT_CONTENT_ONLY:
        raise SecurityPolicyError(
            f"EncryptedData Type {ed.get('Type')!r} is not Attachment-Content-Only",
            rule="xenc:type",
        )
    method = first_child(ed, _q(ns.XENC, "EncryptionMethod"))
    algorithm = method.get("Algorithm") if method is not None else None
    if algorithm not in _AES_GCM:
        raise SecurityPolicyError(
            f"content encryption {algorithm!r} is not AES-GCM", rule="xenc:algorithm"
        )
    ref = first_child(ed, _q(ns.XENC, "CipherData"), _q(ns.XENC, "CipherReference"))
    uri = ref.get("URI") if ref is not None else None
    if ref is None or not uri or not uri.startswith("cid:"):
        raise SecurityPolicyError(
            "EncryptedData must reference an attachment (cid:)", rule="xenc:cipher-reference"
        )
    transforms = [t.get("Algorithm") for t in ref.iter(_q(ns.DS, "Transform"))]
    if transforms not in ([ATTACHMENT_CIPHERTEXT_TRANSFORM], []):
        raise SecurityPolicyError(
            f"unexpected cipher transforms {transforms}", rule="xenc:transform"
        )
    return uri[4:], algorithm


def _encrypted_key_for(ed: Element, security: SecurityIds, keys_found: list[Element]) -> Element:
    key_info = first_child(ed, _q(ns.DS, "KeyInfo"))
    if key_info is not None:
        target = resolve_str(key_info, security, what="EncryptedData")
        if target.tag != _q(ns.XENC, "EncryptedKey"):
            raise SecurityPolicyError(
                "EncryptedData does not reference an EncryptedKey", rule="xenc:key"
            )
        return target
    # Without KeyInfo: the EncryptedKey whose ReferenceList names this EncryptedData.
    wanted = f"#{ed.get('Id')}"
    owners = [
        k
        for k in keys_found
        if any(r.get("URI") == wanted for r in k.iter(_q(ns.XENC, "DataReference")))
    ]
    if len(owners) != 1:
        raise SecurityPolicyError("no unique EncryptedKey for an EncryptedData", rule="xenc:key")
    return owners[0]
