"""Rule-based state machines behind :mod:`gaia_domain.testing.stateful`."""
