"""Pulling the header's values out of its element tree, with every problem found on the way.

Used by :mod:`peppol_dpi.sbdh.read`. The values are checked with the same rules
(:mod:`peppol_dpi.sbdh.rules`) the header model applies, and each problem remembers the
element it was found on, so that the reader can leave out schema errors about the same element.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TypeVar

from lxml import etree

from .. import ns
from ..arguments import require_instance
from ..errors import InputError, Problem
from ..ids import (
    DocumentTypeId,
    DocumentTypeScheme,
    ParticipantId,
    ParticipantScheme,
    ProcessId,
    ProcessScheme,
)
from ..xmltext import date_time, xml_strip
from . import rules
from .model import MlsType, Scope
from .rules import ScopeType

__all__ = ["Collector", "HeaderReader", "parse_created", "sh"]

_H = "StandardBusinessDocumentHeader"
_S = TypeVar("_S", DocumentTypeScheme, ProcessScheme)


@functools.cache
def sh(name: str) -> str:
    """Clark name of an SBDH element."""
    return ns.qname(ns.SBDH, name)


def parse_created(value: str) -> datetime | None:
    """The SBDH's name for the package's one xs:dateTime reader (public before that reader
    was): see :func:`peppol_dpi.xmltext.date_time`."""
    require_instance(value, str, caller="parse_created", name="value")
    return date_time(value)


class Collector:
    """Problems found so far, and the elements they were found on (to drop schema duplicates)."""

    def __init__(self, tree: etree._ElementTree) -> None:
        self.tree = tree
        self.problems: list[Problem] = []
        self.paths: set[str] = set()

    def add(self, rule: str, message: str, where: str, element: etree._Element | None) -> None:
        self.problems.append(Problem(rule=rule, message=message, location=where))
        if element is not None:
            self.paths.add(self.tree.getpath(element))

    def extend(self, problems: list[Problem], element: etree._Element | None) -> None:
        for p in problems:
            self.add(p.rule, p.message, p.location, element)


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    tag = sh(name)  # a plain loop: lxml's tag-filtered iterator costs more to set up
    return [child for child in parent if child.tag == tag]


def _first(parent: etree._Element, name: str) -> etree._Element | None:
    # The first child of that name, as ``parent.find`` (without lxml's Python ElementPath).
    return next(parent.iterchildren(sh(name)), None)


def _firsts(parent: etree._Element) -> dict[object, etree._Element]:
    # The first child of each name, in one pass (for a parent several children are read of).
    found: dict[object, etree._Element] = {}
    for child in parent:
        found.setdefault(child.tag, child)
    return found


def _text(element: etree._Element | None) -> str:
    # peppol-commons trims every value it extracts (Java's trim(): XML white space, never
    # U+00A0 or U+3000); so do we.
    return xml_strip(element.text or "") if element is not None else ""


class HeaderReader:
    """Pulls the header values out of the element tree, reporting each problem once."""

    def __init__(self, out: Collector, header: etree._Element) -> None:
        self.out = out
        self.header = header
        self.values: dict[str, object] = {}

    def read(self) -> None:
        h = self.header
        version = _children(h, "HeaderVersion")
        if version and _text(version[0]) != rules.HEADER_VERSION:
            # Envelope 2.0 §2: HeaderVersion is "1.0".
            self.out.add(
                "sbdh:header-version",
                f"HeaderVersion is {_text(version[0])!r}, not {rules.HEADER_VERSION!r}",
                f"{_H}/HeaderVersion",
                version[0],
            )
        self.values["sender"] = self._partner("Sender")
        self.values["receiver"] = self._partner("Receiver")
        self._document_identification()
        self._business_scope()

    def _partner(self, role: str) -> ParticipantId | None:
        # Envelope 2.0 §2: exactly one Sender and one Receiver, Authority iso6523-actorid-upis.
        rule = f"sbdh:{role.lower()}"
        partners = _children(self.header, role)
        if len(partners) != 1:
            self.out.add(
                f"{rule}-count",
                f"{len(partners)} {role} elements, Peppol requires exactly one",
                _H,
                self.header if not partners else partners[1],
            )
            if not partners:
                return None
        ident = _first(partners[0], "Identifier")
        where = f"{_H}/{role}/Identifier"
        if ident is None:
            return None  # the schema reports the missing element
        authority = ident.get("Authority")
        if authority != ParticipantScheme.ISO6523_ACTORID_UPIS:
            self.out.add(
                f"{rule}-authority",
                f"{role} Authority is {authority!r}, not 'iso6523-actorid-upis'",
                where,
                ident,
            )
            return None
        try:
            return ParticipantId(value=_text(ident))
        except InputError as exc:
            self.out.add(rule, f"{role}: {exc.message} [{exc.rule}]", where, ident)
            return None

    def _document_identification(self) -> None:
        di = _first(self.header, "DocumentIdentification")
        if di is None:
            return  # the schema reports it
        where = f"{_H}/DocumentIdentification"
        firsts = _firsts(di)
        for key, name, rule in (
            ("standard", "Standard", "sbdh:standard"),
            ("type_version", "TypeVersion", "sbdh:type-version"),
            ("instance_id", "InstanceIdentifier", "sbdh:instance-identifier"),
            ("type", "Type", "sbdh:type"),
        ):
            element = firsts.get(sh(name))
            if element is None:
                continue
            value = _text(element)
            self.out.extend(
                rules.check_not_empty(value, rule=rule, what=name, location=f"{where}/{name}"),
                element,
            )
            self.values[key] = value
        element = firsts.get(sh("CreationDateAndTime"))
        if element is not None:
            created = date_time(_text(element))
            location = f"{where}/CreationDateAndTime"
            if created is None:
                self.out.add(
                    "sbdh:creation-date-and-time",
                    f"CreationDateAndTime {_text(element)!r} is not an xs:dateTime",
                    location,
                    element,
                )
            else:
                self.out.extend(rules.check_created(created, location=location), element)
                self.values["created"] = created

    def _business_scope(self) -> None:
        bs = _first(self.header, "BusinessScope")
        where = f"{_H}/BusinessScope"
        if bs is None:
            self.out.add("sbdh:business-scope", "BusinessScope is missing", _H, self.header)
            return
        scopes = _children(bs, "Scope")
        # Envelope 2.0 §2: DOCUMENTID, PROCESSID and COUNTRY_C1 are mandatory (the table's
        # "4..n" is a known typo; peppol-commons requires 3).
        if len(scopes) < 3:
            self.out.add(
                "sbdh:too-few-scopes",
                f"BusinessScope has {len(scopes)} Scope elements; Peppol requires at least 3"
                " (DOCUMENTID, PROCESSID, COUNTRY_C1)",
                where,
                None,
            )
        extras: list[Scope] = []
        seen: set[str] = set()
        for index, scope in enumerate(scopes, start=1):
            firsts = _firsts(scope)
            key = _text(firsts.get(sh("Type")))
            value = _text(firsts.get(sh("InstanceIdentifier")))
            scheme_el = firsts.get(sh("Identifier"))
            scheme = _text(scheme_el) if scheme_el is not None else None
            location = f"{where}/Scope[{index}]"
            if key in seen and key in rules.DEDICATED_SCOPES:
                self.out.add(
                    "sbdh:duplicate-scope", f"Scope {key} occurs more than once", location, scope
                )
                continue
            seen.add(key)
            if key in rules.DEDICATED_SCOPES:
                self._dedicated_scope(ScopeType(key), value, scheme, location, scope)
            elif not key:
                self.out.add("sbdh:scope", "a Scope has an empty Type", location, scope)
            else:
                extras.append(Scope(type=key, instance_identifier=value, identifier=scheme))
        self.out.extend(rules.check_extra_scopes((s.type for s in extras), location=where), None)
        self.values["scopes"] = tuple(extras)
        for key, rule in (
            (ScopeType.DOCUMENTID, "sbdh:document-type"),
            (ScopeType.PROCESSID, "sbdh:process"),
            (ScopeType.COUNTRY_C1, "sbdh:country-c1"),
        ):
            if key not in seen:
                self.out.add(rule, f"the mandatory Scope {key} is missing", where, None)

    def _dedicated_scope(
        self, key: ScopeType, value: str, scheme: str | None, where: str, scope: etree._Element
    ) -> None:
        if key is ScopeType.COUNTRY_C1:
            self.out.extend(rules.check_country_c1(value, location=where), scope)
            self.values["country_c1"] = value
            return
        if key is ScopeType.MLS_TYPE:
            # MLS 1.0 §3: FAILURE_ONLY or ALWAYS_SEND.
            if value not in MlsType.__members__:
                self.out.add(
                    "sbdh:mls-type",
                    f"MLS_TYPE {value!r} is not FAILURE_ONLY or ALWAYS_SEND",
                    where,
                    scope,
                )
            else:
                self.values["mls_type"] = MlsType(value)
            return
        try:
            if key is ScopeType.DOCUMENTID:
                # Envelope 2.0 §2.3: Identifier is the scheme, busdox-docid-qns when absent.
                self.values["document_type"] = DocumentTypeId(
                    value=value, scheme=_scheme(DocumentTypeScheme, scheme, "busdox-docid-qns")
                )
            elif key is ScopeType.PROCESSID:
                self.values["process"] = ProcessId(
                    value=value, scheme=_scheme(ProcessScheme, scheme, "cenbii-procid-ubl")
                )
            else:
                # MLS 1.0 §3: MLS_TO is the SPID of the MLS receiver, scheme iso6523-actorid-upis.
                if scheme != ParticipantScheme.ISO6523_ACTORID_UPIS:
                    raise InputError(
                        f"Identifier is {scheme!r}, not 'iso6523-actorid-upis'", rule="id:scheme"
                    )
                self.values["mls_to"] = ParticipantId(value=value)
        except InputError as exc:
            self.out.add(_SCOPE_RULES[key], f"{key}: {exc.message} [{exc.rule}]", where, scope)


def _scheme(kind: type[_S], text: str | None, default: str) -> _S:
    try:
        return kind(text or default)
    except ValueError:
        raise InputError(
            f"scheme {text!r} is not one of: {', '.join(kind)}", rule="id:scheme"
        ) from None


_SCOPE_RULES = {
    ScopeType.DOCUMENTID: "sbdh:document-type",
    ScopeType.PROCESSID: "sbdh:process",
    ScopeType.MLS_TO: "sbdh:mls-to",
}
