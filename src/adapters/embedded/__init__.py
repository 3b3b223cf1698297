"""Real PostgreSQL and NATS servers run as child processes inside the data directory.

Used by ``khoagiao serve`` when no external server is configured, and by the tests.
"""

from adapters.embedded.errors import EmbeddedServerError
from adapters.embedded.nats import EmbeddedNats
from adapters.embedded.postgres import EmbeddedPostgres

__all__ = ["EmbeddedNats", "EmbeddedPostgres", "EmbeddedServerError"]
