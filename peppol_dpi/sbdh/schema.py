"""XSD validation of a Standard Business Document against the project's own schemas.

The schemas are the package resources ``peppol_dpi/xsd/peppol-sbdh-1.3.xsd`` (which imports
``peppol-envelope-1.2.xsd``). They are compiled once per thread, on first use: an lxml
``XMLSchema`` keeps its error log on the instance, so one instance must not validate two
documents at the same time.
"""

from __future__ import annotations

from lxml import etree

from .. import ns
from ..errors import Problem
from ..xsd import thread_schema

__all__ = ["schema_problems"]

_MAIN = "peppol-sbdh-1.3.xsd"
_IMPORTS = frozenset({"peppol-envelope-1.2.xsd"})


def _schema() -> etree.XMLSchema:
    return thread_schema(_MAIN, _IMPORTS)


def schema_problems(node: etree._Element | etree._ElementTree) -> list[tuple[str, Problem]]:
    """Every XSD violation in ``node`` (a document, or an element validated as if it were the
    root), each with the lxml path of the element it is about."""
    schema = _schema()
    if schema.validate(node):
        return []
    found: list[tuple[str, Problem]] = []
    for entry in schema.error_log:  # type: ignore[attr-defined]
        message = (
            entry.message.strip()
            .replace(f"{{{ns.SBDH}}}", "sh:")
            .replace(f"{{{ns.PEPPOL_ENVELOPE}}}", "")
        )
        found.append(
            (
                entry.path or "",
                Problem(rule="sbdh:schema", message=message, location=f"line {entry.line}"),
            )
        )
    return found
