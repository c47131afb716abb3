"""Targets and what follows from them: policy versions and their consultations, evaluations,
absences that excuse a period, triggers, and the interventions (support and recognition)
they propose."""
