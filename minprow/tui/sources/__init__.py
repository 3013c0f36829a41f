"""The JobSources: in-process (`inprocess`), a state directory (`statedir`), a
remote server (`remote`). Import each from its module; nothing is loaded here."""
