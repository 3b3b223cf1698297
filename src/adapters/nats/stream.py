"""The JetStream stream that keeps published events: created, or brought to the configured
retention, whenever the relay connects.

Retention is by age (``KHOAGIAO_EVENT_RETENTION_DAYS``, default 30): older messages are
dropped and a consumer fills the gap from the HTTP feed. The duplicate window
(``KHOAGIAO_NATS_DUPLICATE_WINDOW_SECONDS``, default 600) is how long JetStream remembers
a message id: a message republished within it (the relay republishes what it had sent
but not yet checkpointed when NATS or the relay went down) is acknowledged and dropped.
The server keeps one entry per message published within the window, so it costs memory
in proportion to the events published in that time.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from adapters.nats.subjects import stream_name, stream_subjects

DAY = 86_400


@dataclass(frozen=True)
class StreamPolicy:
    prefix: str = "khoagiao"
    retention_days: int = 30
    duplicate_window_seconds: int = 600

    @property
    def name(self) -> str:
        return stream_name(self.prefix)

    def config(self) -> api.StreamConfig:
        return api.StreamConfig(
            name=self.name,
            description="khoagiao events, one message per event of the log",
            subjects=[stream_subjects(self.prefix)],
            retention=api.RetentionPolicy.LIMITS,
            storage=api.StorageType.FILE,
            discard=api.DiscardPolicy.OLD,
            max_age=float(self.retention_days * DAY),
            duplicate_window=float(self.duplicate_window_seconds),
        )


async def ensure_stream(js: JetStreamContext, policy: StreamPolicy) -> api.StreamInfo:
    """Create the stream, or update an existing one to the policy (retention may change
    between deployments; the messages already kept stay)."""
    try:
        return await js.update_stream(policy.config())
    except NotFoundError:
        return await js.add_stream(policy.config())
