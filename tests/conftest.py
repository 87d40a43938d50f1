"""Root test configuration shared by unit and integration tests."""
