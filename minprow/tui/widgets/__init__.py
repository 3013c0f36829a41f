"""The app's own widgets, one per module: job table, filter bar, summary header, help."""
