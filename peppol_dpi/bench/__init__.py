"""``peppol-dpi bench``: what building and opening messages costs, beside the raw floor.

The raw floor of an operation is the sum of the primitives it cannot avoid (compression,
ciphers, digests, RSA), each timed alone on the same payload in the same run; the ratio of our
time to that floor says how much the library itself adds.
"""

__all__: list[str] = []  # the modules of the package are imported by name
