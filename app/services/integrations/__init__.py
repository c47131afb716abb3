"""Jira and GitHub webhooks: verified, stored, applied once in event order, and replayed when
the people they are about become known."""
