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
    agreed = "agreed"
    completed = "completed"
    dropped = "dropped"


class EvidenceKind(StrEnum):
    accomplishment = "accomplishment"
    training = "training"
    qualification = "qualification"
    user_feedback = "user_feedback"
    retro_action = "retro_action"
    ticket_done = "ticket_done"
    production_change = "production_change"
    other = "other"


# Evidence of these kinds arrives only from integrations (Jira, GitHub).
INTEGRATION_KINDS = frozenset({EvidenceKind.ticket_done, EvidenceKind.production_change})


class EvidenceSource(StrEnum):
    manual = "manual"
    jira = "jira"
    github = "github"


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
