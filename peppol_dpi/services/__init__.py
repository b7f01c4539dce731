"""Small real servers for tests, the demo and ``peppol-dpi serve``: a DNS server for the SML
zone, an SMP (with the write API), a Maskinporten-like token service, an Altinn-like delegation
register, a KRR-like register, and a reference mailbox and print provider (corner 4).

Each is a plain WSGI application (or, for DNS, a dnslib resolver) plus a ``serve_*`` helper
that runs it in a thread on 127.0.0.1 and returns a :class:`~.base.RunningService`. They are
for local networks and tests: they trust their configuration and bind to loopback by default.
"""

__all__: list[str] = []  # the modules of the package are imported by name
