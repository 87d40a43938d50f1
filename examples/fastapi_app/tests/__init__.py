"""The example's API behaviour as a reusable suite, run on the memory backend and on the real databases."""
