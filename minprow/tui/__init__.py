"""The Textual job monitor: `minprow tui` and the TUI inside `minprow up`."""
