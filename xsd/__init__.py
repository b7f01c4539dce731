"""The project's own XSDs (see README.md here) and the one way to compile them.

:func:`compile_schema` reads a schema and the schemas it imports from this package only, never
from a path or the network. An lxml ``XMLSchema`` keeps its error log on the instance, so one
instance must not validate two documents at once: :func:`thread_schema` keeps one per thread.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from lxml import etree

__all__ = ["compile_schema", "thread_schema"]

_local = threading.local()


class _PackageResolver(etree.Resolver):
    """Serves the schemas' ``xs:import`` from the package, never from disk paths or the network."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__()
        self.names = names

    # lxml calls resolve(url, id, context); lxml-stubs leave out the context argument.
    def resolve(self, system_url: str, public_id: str, context: object) -> object:  # type: ignore[override]
        name = system_url.rsplit("/", 1)[-1]
        if name in self.names:
            return self.resolve_string(_read(name), context)  # type: ignore[call-arg]
        return None


def _read(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


def compile_schema(main: str, imports: frozenset[str]) -> etree.XMLSchema:
    """The schema in package resource ``main``, its ``imports`` served from the package.

    The schema's base URL is its file in the package (when the package is a directory on
    disk, as installed): libxml2 loads ``xs:import`` through one process-wide loader, which
    lxml points at its own (and so at :class:`_PackageResolver`) around every parse and
    points back afterwards. A parse ending in another thread while this schema compiles puts
    libxml2's own loader back, and the imports are then read from the file beside ``main``.
    With a bare name as the base URL they were looked for in the working directory, and the
    compile failed (XMLSchemaParseError: "mustUnderstand does not resolve to an attribute
    declaration"): raised out of ``receive`` by the first message of a new thread while
    another thread parsed.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_PackageResolver(imports))
    return etree.XMLSchema(etree.fromstring(_read(main), parser, base_url=_base_url(main)))


def _base_url(name: str) -> str:
    resource = resources.files(__name__).joinpath(name)
    return str(resource) if isinstance(resource, Path) else name


def thread_schema(main: str, imports: frozenset[str]) -> etree.XMLSchema:
    """:func:`compile_schema`, compiled once per thread (on first use)."""
    schemas: dict[str, etree.XMLSchema] = _local.__dict__.setdefault("schemas", {})
    schema = schemas.get(main)
    if schema is None:
        schema = schemas[main] = compile_schema(main, imports)
    return schema
