"""Root test configuration shared by unit and integration tests."""

pytest_plugins = ["support.mongo", "support.postgres"]
