"""One module of handlers per domain; routes.py lists them all."""
