"""The one error the embedded servers raise."""

from __future__ import annotations


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started (or its data directory cannot be used).

    The message is always a single line saying what is wrong and how to fix it, because it
    is what ``khoagiao serve`` prints before exiting: multi-line output (a server log, a
    traceback) would bury the one sentence the operator needs. Line breaks handed in (for
    example a log tail) are folded into `` | `` separators.
    """

    def __init__(self, message: str) -> None:
        lines = (line.strip() for line in message.splitlines())
        super().__init__(" | ".join(line for line in lines if line))
