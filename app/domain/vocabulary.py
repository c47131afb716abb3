"""The words GPS uses for people and organisation."""

from enum import StrEnum


class PersonKind(StrEnum):
    employee = "employee"
    contractor = "contractor"
    apprentice = "apprentice"


class Band(StrEnum):
    b6 = "6"
    b7 = "7"
    b8a = "8a"
    b8b = "8b"
    b8c = "8c"


BAND_ORDER: tuple[Band, ...] = (Band.b6, Band.b7, Band.b8a, Band.b8b, Band.b8c)


class Role(StrEnum):
    admin = "admin"
    case_manager = "case_manager"
    head_of_department = "head_of_department"
    team_lead = "team_lead"


class AbsenceKind(StrEnum):
    leave = "leave"
    sickness = "sickness"
    parental = "parental"
    other = "other"


class ObjectiveStatus(StrEnum):
    draft = "draft"
    changes_requested = "changes_requested"  # the line manager asked the owner to rewrite it
    agreed = "agreed"
    completed = "completed"
    dropped = "dropped"


# Not yet agreed: counted as drafts wherever objectives are counted.
UNAGREED_OBJECTIVE_STATUSES = frozenset({ObjectiveStatus.draft, ObjectiveStatus.changes_requested})


# What each kind is, must carry and counts toward: the table in app/domain/evidence.py.
class EvidenceKind(StrEnum):
    accomplishment = "accomplishment"
    training = "training"
    qualification = "qualification"
    user_feedback = "user_feedback"
    retro_action = "retro_action"
    ticket_done = "ticket_done"
    production_change = "production_change"
    other = "other"


class EvidenceSource(StrEnum):
    manual = "manual"
    jira = "jira"
    github = "github"


class RoleChangeKind(StrEnum):
    grant = "grant"
    remove = "remove"


class RoleChangeStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class OneToOneStatus(StrEnum):
    held = "held"
    cancelled = "cancelled"


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


class HrEventType(StrEnum):
    objective_completed = "objective.completed"
    objective_reopened = "objective.reopened"


class Metric(StrEnum):
    tickets_done = "tickets_done"
    production_changes = "production_changes"
    training_hours = "training_hours"
    accomplishments_logged = "accomplishments_logged"
    one_to_ones_held = "one_to_ones_held"
    objectives_completed = "objectives_completed"  # 20%-time objectives completed
    user_feedback_items = "user_feedback_items"
    retro_actions_completed = "retro_actions_completed"


class PeriodType(StrEnum):
    week = "week"
    sprint = "sprint"
    quarter = "quarter"


class Outcome(StrEnum):
    met = "met"
    missed = "missed"
    excused = "excused"
    not_applicable = "not_applicable"


class TriggerStatus(StrEnum):
    live = "live"
    withdrawn = "withdrawn"  # its facts changed: kept, with when and why


class TriggerDirection(StrEnum):
    positive = "positive"
    negative = "negative"


class TriggerRule(StrEnum):
    objective_completed = "objective_completed"
    qualification_obtained = "qualification_obtained"
    production_streak = "production_streak"
    quarter_all_met = "quarter_all_met"
    target_missed_streak = "target_missed_streak"


class InterventionKind(StrEnum):
    coaching = "coaching"
    mentoring = "mentoring"
    pairing = "pairing"
    training_plan = "training_plan"
    workload_review = "workload_review"
    wellbeing_referral = "wellbeing_referral"
    objective_reset = "objective_reset"
    recognition = "recognition"


SUPPORTIVE_KINDS = frozenset(InterventionKind) - {InterventionKind.recognition}


class SupportRequestKind(StrEnum):
    """The support a person may ask for themselves (an objective reset is their line
    manager's offer; a recognition is not asked for)."""

    coaching = "coaching"
    mentoring = "mentoring"
    pairing = "pairing"
    training_plan = "training_plan"
    workload_review = "workload_review"
    wellbeing_referral = "wellbeing_referral"


class InterventionStatus(StrEnum):
    proposed = "proposed"
    agreed = "agreed"
    in_progress = "in_progress"
    completed = "completed"
    declined = "declined"
    # The trigger behind it no longer stands (facts changed) before anyone acted on it.
    withdrawn = "withdrawn"


class CaseKind(StrEnum):
    capability = "capability"
    voluntary_band_change = "voluntary_band_change"
    disciplinary = "disciplinary"


GATED_CASE_KINDS = frozenset({CaseKind.capability, CaseKind.voluntary_band_change})


class CaseStatus(StrEnum):
    open = "open"
    under_review = "under_review"
    outcome_recorded = "outcome_recorded"
    closed = "closed"


class NoteVisibility(StrEnum):
    shared = "shared"  # the subject reads it
    internal = "internal"  # case managers only


class ConcernStatus(StrEnum):
    open = "open"
    dismissed = "dismissed"
    case_opened = "case_opened"
