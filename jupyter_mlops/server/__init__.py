"""The server door: a jupyter-server extension exposing the services over REST."""
