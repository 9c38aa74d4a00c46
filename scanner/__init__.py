"""Steward's scanner: walks sources and turns bytes into observations.

Importing this package must stay cheap: it never imports presidio, spaCy or a crawler's client library.
"""

__version__ = "0.1.0"
