"""The route table: every REST route of the extension, in one place.

Patterns are relative to the server's base URL (ExtensionApp prepends it).
"""

from .handlers.status import StatusHandler

API_PREFIX = "/mlops/api"

ROUTES = [
    (rf"{API_PREFIX}/status", StatusHandler),
]
