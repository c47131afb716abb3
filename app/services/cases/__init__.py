"""Concerns and formal cases, behind the fairness gate and the exclusion rule."""
