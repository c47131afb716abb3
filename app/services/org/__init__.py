"""The organisation: people and their line management, bands and history, teams and their
membership, the CSV import, and the periods (weeks, quarters, sprints) GPS evaluates."""
