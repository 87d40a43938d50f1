"""Shipped test support, so that users can prove their own adapters equal to ours.

* :mod:`gaia_domain.testing.contracts` -- one pytest suite per port, written once. Subclass it in a
  ``Test...`` class and provide fixtures over an EMPTY store (see that module).
* :mod:`gaia_domain.testing.strategies` -- Hypothesis strategies for valid aggregates and hostile input.
* :mod:`gaia_domain.testing.stateful` -- machines that run random operation sequences on your adapter and
  on a reference (our simple models by default, or another adapter) and compare every observation.
* :mod:`gaia_domain.testing.reference` -- those simple reference models.
* :mod:`gaia_domain.testing.builders` -- small builders of valid aggregates.

Needs the ``dev`` extra (pytest, hypothesis). Imports no adapter and no driver.
"""

import pytest

# Plain ``assert`` in the shipped contract suites should explain failures like the user's own tests do.
pytest.register_assert_rewrite("gaia_domain.testing.contracts")
