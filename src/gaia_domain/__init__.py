"""gaia-domain: the pure domain of the GAIA data layer.

Entities, value objects, ports (Protocols) and application services. Nothing in
this package performs I/O or imports an infrastructure library; adapters live in
:mod:`gaia_adapters`.
"""

__version__ = "0.1.0"
