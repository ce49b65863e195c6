"""Loket's domain core: intake, workflow, calendar, references, reports and the CLI."""
