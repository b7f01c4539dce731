"""Fuzz target: the hardened XML parser and canonicalization (peppol_dpi.xmlparse)."""

from __future__ import annotations

from collections.abc import Iterable

from fuzzing import ROOT, fuzz, instrumented

with instrumented():
    from peppol_dpi.errors import InputError
    from peppol_dpi.limits import Limits
    from peppol_dpi.xmldsig import id_index
    from peppol_dpi.xmlparse import c14n, parse_xml

from xml_support import elements_and_depth

# Small limits, so that documents on either side of them are common: whatever is accepted
# must really be within them.
SMALL = Limits(max_xml_depth=4, max_xml_elements=12)


def target(data: bytes) -> None:
    try:
        small = parse_xml(data, limits=SMALL)
    except InputError:
        pass
    else:
        count, depth = elements_and_depth(small)
        assert count <= SMALL.max_xml_elements and depth <= SMALL.max_xml_depth, (count, depth)
    root = parse_xml(data)
    c14n(root)
    c14n(root, exclusive=False)
    c14n(root, inclusive_prefixes=("a", "xsi"))
    id_index(root)


def seeds() -> Iterable[bytes]:
    yield b'<?xml version="1.0"?><a xmlns="urn:a" xmlns:b="urn:b" b:x="1"><b:c Id="i">t</b:c></a>'
    yield b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'
    yield b"<a><!-- c --><?pi x?><![CDATA[<>]]>&amp;&#x41;</a>"
    yield '<?xml version="1.0" encoding="utf-16"?><a>æøå</a>'.encode("utf-16")
    yield b"<a><b><c><d><e/></d></c></b></a>"
    yield "<a><\u2f00/><\u2f00/></a>".encode("utf-16-be")
    for xsd in sorted((ROOT / "peppol_dpi" / "xsd").rglob("*.xsd"))[:20]:
        yield xsd.read_bytes()


if __name__ == "__main__":
    fuzz("xml", target, seeds)
