"""The responsibility matrix: bands, their focus and their responsibilities by area.

A band's *role* is its own column plus every column below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain.vocabulary import BAND_ORDER, Band


class Area(StrEnum):
    code = "CODE"
    leadership = "LEADERSHIP and AUTONOMY"
    growing_the_team = "GROWING THE TEAM"
    people = "PEOPLE"
    finance = "FINANCE"


@dataclass(frozen=True)
class Responsibility:
    area: Area
    name: str
    band: Band  # the band whose column this responsibility stands in


@dataclass(frozen=True)
class BandProfile:
    band: Band
    title: str
    focus: str
    own: tuple[Responsibility, ...]


def _column(band: Band, **by_area: str) -> tuple[Responsibility, ...]:
    areas = {"code": Area.code, "leadership": Area.leadership,
             "growing": Area.growing_the_team, "people": Area.people, "finance": Area.finance}
    return tuple(Responsibility(areas[key], name, band) for key, name in by_area.items())


_DEVELOPER = dict(code="Feature Development", leadership="20% Time",
                  growing="Code Reviews", people="Buddy to Apprentice")

# Bands 6 and 7 share one column of the matrix ("Developer (bands 6 & 7)").
_PROFILES: dict[Band, BandProfile] = {
    Band.b6: BandProfile(Band.b6, "Developer", "SELF", _column(Band.b6, **_DEVELOPER)),
    Band.b7: BandProfile(Band.b7, "Developer", "SELF", _column(Band.b7, **_DEVELOPER)),
    Band.b8a: BandProfile(Band.b8a, "Senior Developer", "SINGLE TEAM", _column(
        Band.b8a,
        code="System Design and Technical Specialism",
        leadership="SDMT Operational Planning",
        growing="Mentoring and Pairing",
        people="Line Management and Recruitment of Band 6/7")),
    Band.b8b: BandProfile(Band.b8b, "Principal Engineer", "MULTIPLE TEAMS", _column(
        Band.b8b,
        code="Engineering Quality Framework",
        leadership="Strategy Implementation and Lean Improvement Projects",
        growing="Coaching",
        people="Line Management and Recruitment of Band 8a and Contractors",
        finance="Payments to Contractors")),
    Band.b8c: BandProfile(Band.b8c, "Development & Test Manager", "ALL TEAMS", _column(
        Band.b8c,
        leadership="Vision and Strategy",
        growing="Coaching and Delegation",
        people="Line Management and Recruitment of Band 8b and Contractors",
        finance="Overall budget")),
}


def profile(band: Band) -> BandProfile:
    return _PROFILES[band]


def all_profiles() -> list[BandProfile]:
    return [_PROFILES[b] for b in BAND_ORDER]


def _columns_up_to(band: Band) -> list[Band]:
    """Return the matrix columns that make up a band's role, own column last.

    Band 7 takes its responsibilities from the shared developer column, so band 6's
    identical column is not counted twice.
    """
    columns = [b for b in BAND_ORDER[: BAND_ORDER.index(band) + 1]]
    if band is not Band.b6 and Band.b6 in columns and Band.b7 in columns:
        columns.remove(Band.b6)
    return columns


def cumulative(band: Band) -> list[Responsibility]:
    """Return a band's whole role: its own responsibilities and those of every band below."""
    return [r for column in _columns_up_to(band) for r in _PROFILES[column].own]


def find_responsibility(band: Band, name: str) -> Responsibility | None:
    """Find a responsibility by name (case-insensitive) within a band's cumulative role."""
    wanted = name.strip().casefold()
    for resp in cumulative(band):
        if resp.name.casefold() == wanted:
            return resp
    return None


@dataclass(frozen=True)
class Activity:
    name: str
    responsibility: str


@dataclass(frozen=True)
class RankedActivity:
    activity: Activity
    rank: int
    column: Band | None  # the matrix column the responsibility comes from; None if outside the role
    distance: int | None  # 0 = own column, 1 = the column below, ...; None if outside the role


def order_activities(band: Band, activities: list[Activity]) -> list[RankedActivity]:
    """Order activities by "prioritise those delivering the most benefit to others".

    Own column first, then preceding columns nearest first; activities outside the
    person's role come last. Ties keep the order they were given in.
    """
    columns = list(reversed(_columns_up_to(band)))  # own column first
    keyed: list[tuple[tuple[int, int], Activity, Band | None, int | None]] = []
    for position, activity in enumerate(activities):
        resp = find_responsibility(band, activity.responsibility)
        if resp is None:
            keyed.append(((len(columns), position), activity, None, None))
        else:
            distance = columns.index(resp.band)
            keyed.append(((distance, position), activity, resp.band, distance))
    keyed.sort(key=lambda item: item[0])
    return [RankedActivity(activity, rank, column, distance)
            for rank, (_, activity, column, distance) in enumerate(keyed, start=1)]
