"""What managers and the head of department read: participation roll-ups, team dashboards,
the recognition digest, situational checklists, and the programme calendar."""
