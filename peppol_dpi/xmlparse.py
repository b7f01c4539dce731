"""The one hardened XML entry point of peppol-dpi.

Every XML document the package reads goes through :func:`parse_xml`. It refuses what an
attacker could use against an access point (OWASP XML Security Cheat Sheet; the defences
WSS4J and phase4 apply):

* any DOCTYPE (so no entity declarations: no XXE, no billion laughs, no quadratic blow-up);
* network and file access while parsing (no external DTDs or XIncludes are ever fetched);
* documents larger than ``Limits.max_xml_bytes``, deeper than ``max_xml_depth``, with more
  elements than ``max_xml_elements`` or more namespace declarations in scope of one element
  than ``max_xml_namespaces_in_scope`` (libxml2's inclusive C14N costs the square of that
  number per element: 1,000 declarations over 10,000 elements, a 65 KB message, took 30 s);
* namespace errors (an undeclared prefix, a reserved prefix rebound, one attribute twice
  under two prefixes), which libxml2 logs and parses on from, dropping the prefix or one of
  the attributes (:func:`refuse_logged_errors`);
* comments are dropped while parsing, so the text on either side of one is a single text node
  (``<ID>alice<!---->@evil.example</ID>`` reads as the whole address, not ``alice``: the
  comment-truncation attack on signed identifiers, CVE-2017-11427). Signatures never cover
  comments (XMLDSig 1.1 section 4.4.3.3: same-document references are canonicalized without
  them), so no digest changes.

Large text nodes (a 50 MB base64 attachment in an SBD) are allowed up to the size limit,
which lxml's default parser does not do.

lxml stays behind this module and a few sibling modules in the package; public APIs take and
return bytes and the package's own types.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple, TypeAlias

from lxml import etree

from .arguments import wrong_type
from .errors import XmlSecurityError
from .limits import DEFAULT_LIMITS, Limits
from .xmltext import attr

__all__ = [
    "c14n",
    "children_at",
    "first_child",
    "parse_xml",
    "require_element",
    "text_at",
    "to_bytes",
]
# PARSER_OPTIONS, PROLOG_SCAN, check_input, check_size, check_counts, check_namespaces,
# check_file_size, syntax_error and refuse_logged_errors are shared with :mod:`.xmlstream` (the
# same refusals over pieces) and :mod:`.xmlprefix` (over the start of a document); check_size
# also with :mod:`.dpi.unpack` (an XML zip entry refused by its size, unread).

#: How much of a document's start is searched for a DOCTYPE when libxml2 reports an error.
PROLOG_SCAN = 1024 * 1024
# Encodings an XML parser detects without a declaration (XML 1.0 appendix F): markers are
# searched in each, so a DTD or namespace flood written in UTF-16 is found too.
_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(codec) for codec in _ENCODINGS)
_XMLNS_MARKERS = tuple("xmlns".encode(codec) for codec in _ENCODINGS)

# lxml's element type, for annotations inside the package (never in a public signature).
Element: TypeAlias = etree._Element


def require_element(value: object, *, caller: str, name: str) -> None:
    """An lxml element (one of a tree :func:`parse_xml` gave)."""
    if not isinstance(value, etree._Element):
        raise wrong_type(caller, name, "an lxml element", value)


# The hardened parser settings, shared by the tree and the streaming parsers.
PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": True,  # our own limits below replace libxml2's 10 MB text-node cap
    "remove_comments": True,  # see the module docstring: comment truncation
    "remove_pis": False,
    "collect_ids": False,  # ids are resolved by the signature code, with duplicates refused
    "strip_cdata": False,
}


_local = threading.local()


def _parser() -> etree.XMLParser:
    # One parser per thread, reused: lxml parsers must not be shared between threads, and
    # setting up a fresh one costs more than parsing a small SOAP envelope. libxml2 resets
    # the parser context at the start of every document.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(**PARSER_OPTIONS)
        _know_default_token()  # for documents of this thread canonicalized in another one
    return parser


def _count_xmlns(data: bytes) -> int:
    """How often "xmlns" occurs, in the document's encoding family (XML 1.0 appendix F)."""
    if b"\0" not in data[:4]:  # UTF-8 (or ASCII-compatible): "<" is one byte, never NUL
        return data.count(_XMLNS_MARKERS[0])
    return sum(data.count(marker) for marker in _XMLNS_MARKERS[1:])


def parse_xml(data: bytes, *, limits: Limits = DEFAULT_LIMITS, what: str = "XML") -> Element:
    """Parse ``data`` into an element tree, refusing hostile or oversized XML.

    Raises :class:`~peppol_dpi.errors.XmlSecurityError` (an InputError) with a rule name:
    ``xml:too-large``, ``xml:not-well-formed``, ``xml:encoding``, ``xml:version``,
    ``xml:dtd-forbidden``,
    ``xml:entity-forbidden``, ``xml:too-deep``, ``xml:too-many-elements``,
    ``xml:too-many-namespaces`` or ``xml:c14n`` (from :func:`c14n`).
    """
    check_input(data, limits, what, "parse_xml")
    data = bytes(data)
    if not data or data.isspace():
        raise XmlSecurityError(f"{what} is empty", rule="xml:not-well-formed")
    check_declaration(data[:DECLARATION_HEAD], what)
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, bytes(data[:PROLOG_SCAN]), limits, what) from None
    refuse_logged_errors(parser.error_log, lambda: data[:PROLOG_SCAN], limits, what)
    if root is None:
        raise XmlSecurityError(f"{what} has no root element", rule="xml:not-well-formed")
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lacks DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlSecurityError(
            f"{what} contains a DOCTYPE, which is forbidden", rule="xml:dtd-forbidden"
        )
    _check_shape(root, limits, what)
    if _count_xmlns(data) > limits.max_xml_namespaces_in_scope:
        # Only a document with that many "xmlns" anywhere can break the limit: walk it then.
        # (Every encoding read writes "xmlns" as one of the markers: check_declaration.)
        _check_namespace_scopes(root, limits, what)
    return root


#: The encodings read, as XML 1.0 4.3.3 and appendix F detect them from a document's first
#: bytes, with the declarations each may carry (None: no declaration, or one without an
#: encoding). Others are refused (``xml:encoding``): libxml2 decodes them through iconv, the
#: JDK through its own tables, and the two differ (Shift_JIS 5C is a backslash to the JDK and
#: a yen sign to iconv; GB18030, windows-1252 holes), or the JDK knows no such charset. A byte
#: order mark and a declaration that disagree are refused too: libxml2 follows the mark, the
#: JDK the declaration (a UTF-8 mark before ``encoding="ISO-8859-1"``: "å" or "Ã¥"); XML
#: 4.3.3 calls such a document a fatal error. Peppol and DPI documents are UTF-8.
_ENCODINGS_READ: dict[tuple[str, bool], frozenset[str | None]] = {
    ("utf-8", True): frozenset({None, "utf-8"}),
    ("utf-8", False): frozenset({None, "utf-8", "us-ascii", "iso-8859-1"}),
    ("utf-16-be", True): frozenset({None, "utf-16"}),
    ("utf-16-le", True): frozenset({None, "utf-16"}),
    ("utf-16-be", False): frozenset({"utf-16be"}),
    ("utf-16-le", False): frozenset({"utf-16le"}),
}
_FAMILIES = (  # (first bytes, family, byte order mark length); UTF-32 first: FF FE 00 00
    (b"\x00\x00\xfe\xff", "utf-32", 4),
    (b"\xff\xfe\x00\x00", "utf-32", 4),
    (b"\xef\xbb\xbf", "utf-8", 3),
    (b"\xfe\xff", "utf-16-be", 2),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\x00\x00\x00<", "utf-32", 0),
    (b"<\x00\x00\x00", "utf-32", 0),
    (b"\x00<\x00?", "utf-16-be", 0),
    (b"<\x00?\x00", "utf-16-le", 0),
)
_DECLARATION = re.compile(
    r"<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*([\"'])([^\"']*)\1"
    r"(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*([\"'])([^\"']*)\3)?"
)
#: What :func:`xml_declaration` reads: a byte order mark and an XML declaration's first 512
#: bytes.
DECLARATION_HEAD = 520


class XmlDeclaration(NamedTuple):
    """What a document's first bytes say (XML 1.0 4.3.3 and appendix F): its encoding family
    (``utf-8`` for any that writes ASCII as ASCII), whether a byte order mark starts it, and
    the version and encoding of its XML declaration (None without one, lower-case)."""

    family: str
    byte_order_mark: bool
    version: str | None
    encoding: str | None


def xml_declaration(head: bytes) -> XmlDeclaration:
    """The declaration ``head`` (a document's first :data:`DECLARATION_HEAD` bytes) starts
    with; one that is no declaration counts as none (the parse then says what is wrong)."""
    family, mark = "utf-8", 0
    for start, name, length in _FAMILIES:
        if head.startswith(start):
            family, mark = name, length
            break
    found = None
    if family != "utf-32":
        found = _DECLARATION.match(head[mark : mark + 512].decode(family, errors="replace"))
    return XmlDeclaration(
        family=family,
        byte_order_mark=mark > 0,
        version=found.group(2) if found else None,
        encoding=found.group(4).lower() if found and found.group(4) is not None else None,
    )


def check_declaration(head: bytes, what: str) -> None:
    """Refuse, before anything is parsed and by every parser alike, a document in an encoding
    not read here or whose byte order mark and declaration disagree (``xml:encoding``, see
    :data:`_ENCODINGS_READ`), or that is not XML 1.0 (``xml:version``): libxml2 reads a
    document declared 1.1 as 1.0, Xerces (phase4, Oxalis, Santuario) as XML 1.1, where NEL and
    LINE SEPARATOR are line ends (1.1 section 2.11, so ``x&#133;y`` and ``x\u0085y`` differ)
    and ``&#1;`` is a character (2.2): one document would be two. ``head``: the document's
    first :data:`DECLARATION_HEAD` bytes."""
    declared = xml_declaration(head)
    if declared.encoding not in _ENCODINGS_READ.get(
        (declared.family, declared.byte_order_mark), frozenset()
    ):
        raise XmlSecurityError(
            f"{what} is in {declared.family}"
            f"{' with a byte order mark' if declared.byte_order_mark else ''}, declared "
            f"{declared.encoding or 'nothing'}: only UTF-8, UTF-16 (with its mark), US-ASCII "
            "and ISO-8859-1 are read, as their first bytes say",
            rule="xml:encoding",
        )
    if declared.version not in (None, "1.0"):
        raise XmlSecurityError(
            f"{what} is XML version {declared.version[:20]!r}; only XML 1.0 is read",
            rule="xml:version",
        )


def check_input(data: object, limits: Limits, what: str, caller: str) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise wrong_type(caller, "data", "bytes", data)
    check_size(len(data), limits, what)


def check_size(size: int, limits: Limits, what: str) -> None:
    """Refuse XML of ``size`` bytes beyond ``limits.max_xml_bytes`` (before reading it)."""
    if size > limits.max_xml_bytes:
        raise XmlSecurityError(
            f"{what} is {size} bytes, more than the limit of {limits.max_xml_bytes}",
            rule="xml:too-large",
        )


def syntax_error(
    exc: etree.XMLSyntaxError, head: bytes, limits: Limits, what: str
) -> XmlSecurityError:
    """The error for a syntax error libxml2 reported; ``head``: the document's first bytes."""
    # lxml's own text ends with the name of the source, "(<string>, line 1)" for bytes.
    return _named(getattr(exc, "msg", None) or str(exc), head, limits, what)


def refuse_logged_errors(log: Any, head: Callable[[], bytes], limits: Limits, what: str) -> None:
    """Refuse a document for which libxml2 logged an error it went on from, as a syntax error.

    A namespace error (XML Namespaces 1.0 sections 3 and 5: an undeclared prefix,
    ``xmlns:p=""``, a reserved prefix or name rebound, one attribute twice under two prefixes,
    a QName with two colons) does not stop libxml2, and lxml refuses the document only when
    the *last* message it logged is an error: with one warning after it (a relative namespace
    name) the document was taken, its prefix dropped or one of the two attributes lost. The
    streaming parsers never refused them at all. Any error in ``log`` (an lxml error log;
    libxml2 keeps logging errors after it stops logging warnings) refuses it here.
    """
    for entry in log:
        if entry.level >= etree.ErrorLevels.ERROR:
            raise _named(entry.message, head(), limits, what)


def _named(reason: str, head: bytes, limits: Limits, what: str) -> XmlSecurityError:
    # libxml2 may stop on an entity-amplification or depth guard before we see the
    # DOCTYPE; name the real rule rather than "not well-formed".
    if any(marker in head for marker in _DOCTYPE_MARKERS):
        return XmlSecurityError(
            f"{what} contains a DOCTYPE, which is forbidden", rule="xml:dtd-forbidden"
        )
    if "Excessive depth" in reason:
        return XmlSecurityError(
            f"{what} nests deeper than {limits.max_xml_depth} elements", rule="xml:too-deep"
        )
    return XmlSecurityError(f"{what} is not well-formed XML: {reason}", rule="xml:not-well-formed")


def check_file_size(source: IO[bytes], limits: Limits, what: str) -> int:
    """The size of a seekable XML file, refused beyond ``limits.max_xml_bytes``."""
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    check_size(size, limits, what)
    return size


def check_counts(depth: int, count: int, limits: Limits, what: str) -> None:
    if depth > limits.max_xml_depth:
        raise XmlSecurityError(
            f"{what} nests deeper than {limits.max_xml_depth} elements", rule="xml:too-deep"
        )
    if count > limits.max_xml_elements:
        raise XmlSecurityError(
            f"{what} has more than {limits.max_xml_elements} elements",
            rule="xml:too-many-elements",
        )


def check_namespaces(in_scope: int, limits: Limits, what: str) -> None:
    # libxml2's inclusive C14N walks every declaration in scope (shadowed ones too) for every
    # element it renders: the cost is their number squared, per element.
    if in_scope > limits.max_xml_namespaces_in_scope:
        raise XmlSecurityError(
            f"{what} has more than {limits.max_xml_namespaces_in_scope} namespace "
            "declarations in scope of one element",
            rule="xml:too-many-namespaces",
        )


def _check_namespace_scopes(root: Element, limits: Limits, what: str) -> None:
    in_scope = 0
    for event, _ in etree.iterwalk(root, events=("start-ns", "end-ns")):
        in_scope += 1 if event == "start-ns" else -1
        check_namespaces(in_scope, limits, what)


@functools.lru_cache(maxsize=8)
def _deeper_than(depth: int) -> etree.XPath:
    # True when an element sits ``depth + 1`` levels down: one XPath step per level,
    # evaluated inside libxml2 (a Python walk over every element costs far more).
    return etree.XPath("boolean(/" + "/".join(["*"] * (depth + 1)) + ")")


_COUNT_ELEMENTS = etree.XPath("count(//*)")


def _check_shape(root: Element, limits: Limits, what: str) -> None:
    # No entity-reference nodes can exist here: a document with a DOCTYPE was refused above,
    # and without one libxml2 rejects any reference to an undeclared entity as not well-formed.
    count = _COUNT_ELEMENTS(root)
    assert isinstance(count, float)
    if count > limits.max_xml_elements:
        raise XmlSecurityError(
            f"{what} has more than {limits.max_xml_elements} elements",
            rule="xml:too-many-elements",
        )
    # Nesting deeper than max_xml_depth takes more than max_xml_depth elements.
    if count > limits.max_xml_depth and _deeper_than(limits.max_xml_depth)(root):
        raise XmlSecurityError(
            f"{what} nests deeper than {limits.max_xml_depth} elements", rule="xml:too-deep"
        )


def to_bytes(element: Element, *, xml_declaration: bool = True) -> bytes:
    """Serialize as UTF-8 (no pretty printing: signed XML is never re-indented)."""
    return etree.tostring(element, encoding="UTF-8", xml_declaration=xml_declaration)


_XML_ATTRIBUTE = "{http://www.w3.org/XML/1998/namespace}"


_SIMPLY_INHERITED_1_1 = frozenset({f"{_XML_ATTRIBUTE}lang", f"{_XML_ATTRIBUTE}space"})


def _inherited_xml_attributes(element: Element, *, version_1_1: bool) -> dict[str, str]:
    """The ``xml:*`` attributes ``element`` inherits: C14N 1.0 section 2.4 renders those of its
    nearest ancestors on the apex of a document subset (``xml:lang``, ``xml:space``, and in
    1.0 ``xml:base`` and ``xml:id`` too), unless the apex has its own. C14N 1.1 (2.4) inherits
    ``xml:lang`` and ``xml:space`` only, and fixes ``xml:base`` up (refused here)."""
    inherited: dict[str, str] = {}
    for ancestor in element.iterancestors():
        for name, value in ancestor.attrib.items():
            if not str(name).startswith(_XML_ATTRIBUTE):
                continue
            if version_1_1 and name == f"{_XML_ATTRIBUTE}base":
                raise XmlSecurityError(
                    "C14N 1.1 of an element under an xml:base needs its fix-up (section 2.4), "
                    "which is not supported",
                    rule="xml:c14n",
                )
            if name not in element.attrib and (not version_1_1 or name in _SIMPLY_INHERITED_1_1):
                inherited.setdefault(str(name), str(value))
    return inherited


def _standalone_copy(element: Element, *, version_1_1: bool) -> Element:
    """``element`` as the root of a new document, declaring all namespaces in scope there and
    carrying the ``xml:*`` attributes it inherits."""
    inherited = _inherited_xml_attributes(element, version_1_1=version_1_1)
    nsmap: Any = element.nsmap  # lxml-stubs: the default namespace's key is None
    # An lxml element's copy.copy is a deep copy (its __deepcopy__ calls its __copy__) into a
    # new document, whose root declares the namespaces the subtree uses. When those are all
    # the namespaces in scope (a XAdES SignedProperties, a DPI SignedInfo), that copy is the
    # answer, in one call; otherwise a root declaring every one of them takes its children.
    whole = copy.copy(element)
    whole.tail = None
    if whole.nsmap == nsmap:
        for name, value in inherited.items():
            whole.set(name, value)
        return whole
    # The missing declarations (and inherited attributes) written into the copy's start tag
    # and the copy read again: building a root with lxml's API and moving the children under
    # it lets lxml pick prefixes by namespace name and drop a child's declaration of a name
    # already in scope under another prefix (two documents, one canonical form: found against
    # Santuario, tests/test_c14n_against_the_jdk.py).
    declared: Any = whole.nsmap
    added = "".join(
        f' xmlns{":" + prefix if prefix else ""}="{attr(uri)}"'
        for prefix, uri in nsmap.items()
        if prefix not in declared
    )
    added += "".join(f' {_xml_qname(name)}="{attr(value)}"' for name, value in inherited.items())
    text = etree.tostring(whole, encoding="unicode")
    end = _START_TAG_NAME.match(text)
    assert end is not None  # (lxml writes an element's start tag first)
    return etree.fromstring(text[: end.end()] + added + text[end.end() :], _parser())


_START_TAG_NAME = re.compile(r"<[^\s/>]+")


def _xml_qname(name: str) -> str:
    """``{http://www.w3.org/XML/1998/namespace}lang`` as ``xml:lang``."""
    return "xml:" + name[len(_XML_ATTRIBUTE) :]


def _know_default_token() -> None:
    """Make libxml2 see the ``#default`` token of an InclusiveNamespaces PrefixList (Exclusive
    C14N 1.0 section 3: the default namespace is then rendered as inclusive C14N would).

    lxml passes on only the prefixes its thread's name dictionary already holds, and
    ``#default`` is no name, so it was dropped: a valid signature by a signer that lists it
    (Santuario and WSS4J may) failed its digest, and one over content whose default namespace
    was changed could pass. Parsing a declaration whose namespace name is ``#default`` puts the
    string in the dictionary, which every document parsed or built in the thread shares (once a
    thread; libxml2 merely warns that the name is relative)."""
    if not getattr(_local, "default_token", False):
        etree.fromstring(b'<x xmlns:p="#default"/>', _parser())
        _local.default_token = True


def c14n(
    element: Element,
    *,
    exclusive: bool = True,
    inclusive_prefixes: tuple[str, ...] = (),
    version_1_1: bool = False,
) -> bytes:
    """Canonical form of ``element`` in its document context, without comments.

    Exclusive C14N 1.0 (http://www.w3.org/2001/10/xml-exc-c14n#) by default, with the
    InclusiveNamespaces PrefixList given; inclusive C14N 1.0 with ``exclusive=False``, and
    C14N 1.1 (http://www.w3.org/2006/12/xml-c14n11) with ``version_1_1`` too. The two differ, for
    an element subtree, only in the ``xml:*`` attributes its apex inherits (C14N 1.1 section
    2.4): ``xml:lang`` and ``xml:space``, never ``xml:id``; an inherited ``xml:base`` must be
    fixed up, which is not done here: refused (``xml:c14n``).
    """
    if exclusive and "#default" in inclusive_prefixes:
        _know_default_token()
    if not exclusive and (
        element.getparent() is not None
        or element.getprevious() is not None
        or element.getnext() is not None
    ):
        # lxml/libxml2 (seen with libxml2 2.12 and 2.14) writes spurious ``xmlns=""`` on
        # descendants two or more levels below a subtree whose default namespace is inherited
        # (dpi.md 9.4): XAdES SignedProperties then digest wrongly. Canonicalize a standalone
        # copy instead, whose root declares *every* namespace in scope: inclusive C14N 1.0
        # (section 2.4) renders all of them on the apex, used or not, and a plain deep copy
        # keeps only the used ones (an SMP SignedInfo would lose xmlns, ids and wsa).
        element = _standalone_copy(element, version_1_1=version_1_1)
    try:
        canonical: bytes = etree.tostring(
            element,
            method="c14n",
            exclusive=exclusive,
            with_comments=False,
            inclusive_ns_prefixes=list(inclusive_prefixes)
            if inclusive_prefixes and exclusive
            else None,
        )
    except etree.C14NError:
        # libxml2 refuses to canonicalize some documents, for example ones with a relative
        # namespace URI (C14N 1.0 section 2: such documents cannot be canonicalized).
        raise XmlSecurityError(
            "the XML cannot be canonicalized (e.g. a relative namespace URI)", rule="xml:c14n"
        ) from None
    if b"&" in canonical and _UNESCAPED_NAMESPACE_AMPERSAND.search(canonical):
        # C14N 1.0 2.3 writes a namespace node as an attribute, its "&" as "&amp;" (Santuario
        # does); libxml2 writes it as it is. Refused rather than canonicalized otherwise than
        # the peer did (tests/test_c14n_against_the_jdk.py).
        raise XmlSecurityError(
            "a namespace name holding '&' cannot be canonicalized here", rule="xml:c14n"
        )
    return canonical


# An "&" in a namespace declaration of a start tag (where C14N puts declarations before the
# attributes; text and attribute values hold no raw "<").
_UNESCAPED_NAMESPACE_AMPERSAND = re.compile(rb'<[^?!>][^>]*?\sxmlns(?::[^\s=]+)?="[^"]*&')


def first_child(parent: Element, *path: str) -> Element | None:
    """``parent.find("a/b")`` for the Clark names ``path`` (``a``, ``b``): the first element
    reached through them, in document order, without lxml's ElementPath (which runs in Python)."""
    if len(path) == 1:
        return next(parent.iterchildren(path[0]), None)
    for child in parent.iterchildren(path[0]):
        found = first_child(child, *path[1:])
        if found is not None:
            return found
    return None


def children_at(parent: Element, *path: str) -> Iterator[Element]:
    """``parent.iterfind("a/b")`` for the Clark names ``path``: every element reached through
    them, in document order, without lxml's ElementPath."""
    if len(path) == 1:
        yield from parent.iterchildren(path[0])
        return
    for child in parent.iterchildren(path[0]):
        yield from children_at(child, *path[1:])


def text_at(parent: Element, *path: str) -> str | None:
    """``parent.findtext("a/b")`` for the Clark names ``path``: the text of the first element
    reached through them ("" when it has none), None without one."""
    found = first_child(parent, *path)
    return None if found is None else (found.text or "")
