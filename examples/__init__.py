"""Example applications that embed gaia-domain (not part of the installed package)."""
