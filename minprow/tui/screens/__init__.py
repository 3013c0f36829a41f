"""The TUI's screens beyond the job table: a job's details (with why it is not
running), its log, the build clusters' health, and the yes/no confirmation.

Each lives in its own module (detail, logs, clusters, confirm; why and logtext
hold their pure logic); import them from there. Nothing is imported here, so
the pure modules can be used without loading Textual.
"""
