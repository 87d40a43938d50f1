"""Shipped test support: contract suites, Hypothesis strategies and a stateful machine for any adapter.

Needs the ``dev`` extra (pytest, hypothesis). Imports no adapter and no driver.
"""

import pytest

# Plain ``assert`` in the shipped contract suites should explain failures like the user's own tests do.
pytest.register_assert_rewrite("gaia_domain.testing.contracts")
