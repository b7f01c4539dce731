"""The Innbyggerpost XML: the DPI payload between corner 2 and corner 3.

Digdir ``nyinf/xsd/innbyggerpost.xsd`` (namespace ``http://digdir.no/dpi/innbyggerpost``)::

    <Innbyggerpost xmlns="http://digdir.no/dpi/innbyggerpost">
      <SignertForretningsmelding>header.payload.signature</SignertForretningsmelding>
      <Dokumentpakke>base64 of the CMS bytes</Dokumentpakke>
    </Innbyggerpost>

Corner 2 puts the signed business message and the encrypted package it received from corner 1
into it, unchanged (corner 4 checks the JWS and the package fingerprint over exactly these
bytes), and sends it as the business message of a Peppol SBDH (:mod:`.peppol_payload`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from lxml import etree

from .. import ns
from ..base64text import decode_text
from ..errors import InputError, UsageError
from ..limits import DEFAULT_LIMITS, Limits
from ..xmlparse import parse_xml, to_bytes
from ..xmltext import XML_SPACE, is_xml_space

__all__ = [
    "Innbyggerpost",
    "InnbyggerpostError",
    "check_package_size",
    "check_shape",
    "not_base64",
]

ROOT = "Innbyggerpost"
_JWS = "SignertForretningsmelding"
PACKAGE = "Dokumentpakke"
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InnbyggerpostError(InputError):
    """The Innbyggerpost XML breaks its schema."""


def _q(local: str) -> str:
    return ns.qname(ns.INNBYGGERPOST, local)


@dataclass(frozen=True, kw_only=True)
class Innbyggerpost:
    """The signed business message (compact JWS, ASCII) and the package (CMS bytes)."""

    forretningsmelding: bytes = field(repr=False)
    dokumentpakke: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.forretningsmelding, bytes) or not isinstance(
            self.dokumentpakke, bytes
        ):
            raise UsageError("Innbyggerpost takes the JWS and the package as bytes")
        if _COMPACT_JWS.fullmatch(self.forretningsmelding.decode("ascii", "replace")) is None:
            raise UsageError("forretningsmelding must be a compact JWS")

    def to_element(self) -> etree._Element:
        root = etree.Element(_q(ROOT), nsmap={None: ns.INNBYGGERPOST})  # type: ignore[dict-item]
        etree.SubElement(root, _q(_JWS)).text = self.forretningsmelding.decode("ascii")
        etree.SubElement(root, _q(PACKAGE)).text = base64.b64encode(self.dokumentpakke).decode()
        return root

    def to_bytes(self) -> bytes:
        """A standalone UTF-8 XML document."""
        return to_bytes(self.to_element())

    @classmethod
    def from_element(
        cls,
        root: etree._Element,
        *,
        limits: Limits = DEFAULT_LIMITS,
        allow_empty_package: bool = False,
    ) -> Innbyggerpost:
        """Read an already parsed ``Innbyggerpost`` element (e.g. the SBDH business message).

        ``allow_empty_package``: accept an empty ``Dokumentpakke`` (valid xs:base64Binary), as
        a receipt travelling back from corner 3 to corner 2 carries no package; the caller
        that knows the message type decides (:func:`.peppol_payload.unwrap`).
        """
        jws, element = check_shape(root)
        text = element.text or ""
        check_package_size(element, len(text), limits)
        try:
            package = decode_text(text)
        except ValueError:
            raise not_base64() from None
        if not package and not allow_empty_package:
            raise InnbyggerpostError(f"{PACKAGE} is empty", rule="innbyggerpost:base64")
        return cls(forretningsmelding=jws, dokumentpakke=package)

    @classmethod
    def parse(cls, data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Innbyggerpost:
        """Read an Innbyggerpost XML document (through the hardened parser)."""
        return cls.from_element(parse_xml(data, limits=limits, what=ROOT), limits=limits)


def check_shape(root: etree._Element) -> tuple[bytes, etree._Element]:
    """The JWS and the ``Dokumentpakke`` element of an ``Innbyggerpost`` element, after
    checking everything but the package's text (XSD: the sequence, no mixed content)."""
    if root.tag != _q(ROOT):
        raise InnbyggerpostError(
            f"expected {{{ns.INNBYGGERPOST}}}{ROOT}, found {root.tag}",
            rule="innbyggerpost:root",
        )
    children = [child for child in root if isinstance(child.tag, str)]
    if [child.tag for child in children] != [_q(_JWS), _q(PACKAGE)]:
        raise InnbyggerpostError(
            f"{ROOT} must hold exactly {_JWS} then {PACKAGE}", rule="innbyggerpost:content"
        )
    if not is_xml_space(root.text) or any(not is_xml_space(c.tail) for c in children):
        raise InnbyggerpostError(f"{ROOT} has text outside its elements", rule="innbyggerpost:content")  # fmt: skip
    if root.attrib or children[0].attrib or children[1].attrib:
        # innbyggerpost.xsd declares no attribute (and admits none from other namespaces).
        raise InnbyggerpostError(f"{ROOT} has attributes", rule="innbyggerpost:content")
    jws = (children[0].text or "").strip(XML_SPACE)
    if len(children[0]) or _COMPACT_JWS.fullmatch(jws) is None:
        raise InnbyggerpostError(f"{_JWS} is not a compact JWS", rule="innbyggerpost:jws")
    return jws.encode("ascii"), children[1]


def check_package_size(element: etree._Element, text_length: int, limits: Limits) -> None:
    """``Dokumentpakke`` holds only text, of ``text_length`` characters, whose decoded size
    fits ``limits.max_package_bytes``: checked before the text is decoded."""
    # xs:base64Binary: the package must fit the limit before it is decoded.
    if len(element) or text_length // 4 * 3 > limits.max_package_bytes + 3:
        raise InnbyggerpostError(f"{PACKAGE} is too large", rule="innbyggerpost:size")


def not_base64() -> InnbyggerpostError:
    return InnbyggerpostError(f"{PACKAGE} is not base64", rule="innbyggerpost:base64")
