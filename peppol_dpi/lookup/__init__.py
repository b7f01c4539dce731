"""Lookups before sending: SML/BDXL (DNS), SMP (service metadata), Maskinporten tokens, KRR.

The pure parts (name construction, XML parsing, endpoint selection, JWT grant building) take and
return typed values; the clients do I/O only through the ``requests.Session`` or DNS resolver the
caller hands them. Nothing here does I/O at import time.
"""
