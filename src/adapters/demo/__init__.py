"""Demo data: the real cascade of the seed documents, and a generated national year.

Both drive the application from outside, as the HTTP adapter does: they send commands
to the real handlers, and what the handlers decide is appended to the log.
"""
