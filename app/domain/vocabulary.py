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
