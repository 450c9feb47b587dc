"""Credentials masked out of URLs and text, so that no answer or log line shows one.

A tracking URI or state URL may carry a secret in several places, every one of which
SQLAlchemy or MLflow accepts: the password of `user:password@`, with characters left
unencoded (`p@ss`, `pa/ss`, `pa?ss`); a token given as the whole userinfo
(`https://TOKEN@host`); a query parameter (`?password=`, `sslpassword=`, `token=`,
`api_key=`, an ODBC string with `PWD=`). This does not parse URLs the way a driver does
(drivers disagree): it masks whatever any of them could read as a secret, and keeps
the scheme, user, host, port and database so that the URL still says where it points.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

MASK = "***"

_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)", re.S)
# The query starts at the first `?` followed by `key=`: an `?` in a password is not one
# (`pa?ss@host`), nor is an `@` after the query starts part of the userinfo.
_QUERY = re.compile(r"\?(?=[^=&@/?#]*=)")
# Query parameters whose value is a secret, by what their name contains.
_SECRET_KEY = re.compile(
    r"pass|pwd|secret|token|key|credential|auth|signature|^sig$|cookie|session", re.I
)
# A connection string inside a value (`odbc_connect=...PWD%3Dx`): the whole value goes.
_SECRET_INSIDE = re.compile(r"(pass|pwd|secret|token|key)\w*\s*[=:]", re.I)
# Schemes where a userinfo without a password is a token (`https://ghp_xxx@github.com`).
_TOKEN_AS_USER = {"http", "https", "git+https", "databricks"}
_WEB = {
    *("http", "https", "ftp", "sftp", "file", "s3", "gs", "wasb", "wasbs", "abfs", "abfss"),
    *("hdfs", "viewfs", "dbfs", "uc", "mlflow-artifacts", "models", "runs"),
}
# URLs inside free text: up to whitespace or a closing quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
# Environment variables MLflow and the artifact stores read secrets from: their values
# are masked wherever they turn up in text.
SECRET_ENV = (
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_SECRET",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_CLIENT_SECRET",
    "PGPASSWORD",
)


def redact_url(url: str) -> str:
    """`url` with every credential it may carry masked, safe to show anywhere."""
    match = _SCHEME.fullmatch(url)
    if match is None:
        return url  # no scheme, no userinfo: a path, or a name like "databricks"
    scheme, rest = match["scheme"], match["rest"]
    query = _QUERY.search(rest)
    head, tail = (rest[: query.start()], rest[query.start() :]) if query else (rest, "")
    # An authority starts right after `//`: `sqlite:////home/a@b/x.db` has none, and
    # its `@` belongs to the path.
    # Database URLs take `/` unencoded in a password (SQLAlchemy does); web and storage
    # URLs end their authority at the first `/`, so an `@` in their path stays.
    authority = head.split("/", 1)[0] if scheme.lower() in _WEB else head
    at = -1 if head.startswith("/") else authority.rfind("@")
    if at >= 0:
        user, colon, _password = head[:at].partition(":")
        if colon:
            head = f"{user}:{MASK}{head[at:]}"
        elif scheme.lower() in _TOKEN_AS_USER:
            head = f"{MASK}{head[at:]}"
    return f"{scheme}://{head}{_redact_query(tail)}"


def _redact_query(tail: str) -> str:
    if not tail:
        return tail
    query, hash_, fragment = tail[1:].partition("#")
    parts = []
    for part in re.split(r"([&;])", query):
        key, equals, value = part.partition("=")
        secret = _SECRET_KEY.search(unquote_plus(key)) or _SECRET_INSIDE.search(unquote_plus(value))
        parts.append(f"{key}={MASK}" if equals and secret else part)
    return f"?{''.join(parts)}{hash_}{fragment}"


def redact_text(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` (a message, a log line) with the credentials of every URL in it masked,
    and the values of the secret environment variables MLflow reads."""
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    environ = os.environ if environ is None else environ
    for name in SECRET_ENV:
        value = environ.get(name)
        if value and len(value) >= 4:  # too short a value would mask ordinary words
            text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks credentials in every record a handler writes, its traceback included: an
    MLflow or driver error may quote a URL with its password."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shown = redact_text(message)
        if shown != message:
            record.msg, record.args = shown, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


def guard_log(logger: logging.Logger) -> None:
    """Put the filter on every handler `logger`'s records reach (its own and its
    ancestors', as records propagate), once each."""
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
        current = current.parent if current.propagate else None
