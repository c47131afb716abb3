"""Oversight reports as JSON: participation roll-ups and team dashboards."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from app.api.schemas.common import Output
from app.db.models import Person
from app.domain.periods import Period
from app.domain.vocabulary import Band, PeriodType
from app.services.oversight import reports
from app.services.oversight.reports import Participation


class ReportPeriod(Output):
    type: PeriodType
    key: str
    start: date
    end: date = Field(description="Last day, inclusive")

    @classmethod
    def of(cls, period: Period) -> ReportPeriod:
        return cls(type=period.type, key=period.key, start=period.start, end=period.end)


class ShareRead(Output):
    count: float = Field(description="How many (people, weeks or sessions)")
    of: float = Field(description="Out of how many")
    share: float | None = Field(description="count / of, to 4 places; null when `of` is 0")

    @classmethod
    def from_share(cls, share: reports.Share) -> ShareRead:
        return cls(count=share.count, of=share.of, share=share.share)


class ReportPerson(Output):
    id: int
    name: str
    band: Band | None


class ObjectivesFigures(Output):
    quarter: str = Field(description="The quarter containing the period")
    set: int = Field(description="Objectives for the quarter, not dropped")
    agreed: int = Field(description="Of those, agreed by the line manager (or since completed)")


class WeekCount(Output):
    week: str
    held: int


class OneToOneFigures(Output):
    held: int = Field(description="One-to-ones held in the period")
    weeks_with_one_held: int
    weeks: int = Field(description="ISO weeks in the period")
    per_week: list[WeekCount] | None = Field(description="Held per ISO week (quarters only)")


class AccomplishmentFigures(Output):
    weeks_with_one_logged: int
    weeks: int = Field(description="ISO weeks in the period")


class CoachingFigures(Output):
    held: int = Field(description="Sessions held by the end of the period")
    planned: int = Field(description="Sessions the programme plans")


class RollupRead(Output):
    """Figures over a line: everyone below someone in the line tree (active people)."""

    people: int
    with_objectives_set: ShareRead = Field(description="People with objectives set for the "
                                                       "quarter")
    with_objectives_agreed: ShareRead = Field(description="People with objectives agreed for "
                                                          "the quarter")
    weeks_with_one_to_one: ShareRead = Field(description="Person-weeks with a one-to-one held")
    weeks_with_accomplishments: ShareRead = Field(description="Person-weeks with an "
                                                              "accomplishment logged")
    training_hours: float = Field(description="Training hours recorded, summed")
    coaching_sessions: ShareRead = Field(description="Coaching sessions held of planned, over "
                                                     "the coachees")

    @classmethod
    def of(cls, rollup: reports.Rollup) -> RollupRead:
        return cls(people=rollup.people,
                   with_objectives_set=ShareRead.from_share(rollup.with_objectives_set),
                   with_objectives_agreed=ShareRead.from_share(rollup.with_objectives_agreed),
                   weeks_with_one_to_one=ShareRead.from_share(rollup.weeks_with_one_to_one),
                   weeks_with_accomplishments=ShareRead.from_share(rollup.weeks_with_accomplishments),
                   training_hours=float(round(rollup.training_hours, 2)),
                   coaching_sessions=ShareRead.from_share(rollup.coaching_sessions))


class ReportRow(Output):
    person: ReportPerson
    objectives: ObjectivesFigures
    one_to_ones: OneToOneFigures
    accomplishments: AccomplishmentFigures
    training_hours: float
    coaching: CoachingFigures | None = Field(description="Null unless on a coaching programme "
                                                         "running in the period")
    manages_people: bool
    rollup: RollupRead | None = Field(description="Their whole line, when they manage people")


class AsManagerRead(Output):
    """The manager's own record as a manager of their direct reports."""

    reports: int
    one_to_ones_held: int = Field(description="One-to-ones the manager held with their "
                                              "reports in the period")
    weeks_with_one_to_one: ShareRead = Field(description="Report-weeks with a one-to-one held")
    objectives_agreed: int = Field(description="Objectives of the quarter the manager agreed")
    reports_with_objectives_agreed: ShareRead


class ParticipationReport(Output):
    manager: ReportPerson
    period: ReportPeriod
    quarter: str
    weeks: list[str] = Field(description="The ISO weeks of the period")
    reports: list[ReportRow] = Field(description="Direct reports, by name (never ranked)")
    as_manager: AsManagerRead
    line: RollupRead = Field(description="Everyone below the manager")

    @classmethod
    def of(cls, report: Participation) -> ParticipationReport:  # `reports` is a field here
        quarterly = report.period.type is PeriodType.quarter
        rows = []
        for row in report.reports:
            f = row.figures
            rows.append(ReportRow(
                person=_person(f.person),
                objectives=ObjectivesFigures(quarter=report.quarter, set=f.objectives_set,
                                             agreed=f.objectives_agreed),
                one_to_ones=OneToOneFigures(
                    held=f.one_to_ones_held, weeks_with_one_held=len(f.one_to_one_weeks),
                    weeks=len(report.weeks),
                    per_week=[WeekCount(week=w, held=n) for w, n in
                              f.one_to_ones_per_week.items()] if quarterly else None),
                accomplishments=AccomplishmentFigures(
                    weeks_with_one_logged=len(f.accomplishment_weeks), weeks=len(report.weeks)),
                training_hours=float(round(f.training_hours, 2)),
                coaching=CoachingFigures(held=f.coaching_held, planned=f.coaching_planned)
                if f.coachee else None,
                manages_people=row.manages_people,
                rollup=RollupRead.of(row.rollup) if row.rollup else None))
        m = report.as_manager
        return cls(manager=_person(report.manager), period=ReportPeriod.of(report.period),
                   quarter=report.quarter, weeks=report.weeks, reports=rows,
                   as_manager=AsManagerRead(
                       reports=m.reports, one_to_ones_held=m.one_to_ones_held,
                       weeks_with_one_to_one=ShareRead.from_share(m.weeks_with_one_to_one),
                       objectives_agreed=m.objectives_agreed,
                       reports_with_objectives_agreed=ShareRead.from_share(
                           m.reports_with_objectives_agreed)),
                   line=RollupRead.of(report.line))


def _person(person: Person) -> ReportPerson:
    return ReportPerson(id=person.id, name=person.name, band=person.band)


class FigureRead(Output):
    """A figure, or null with `suppressed` when it would be computed over fewer than 3 people."""

    value: float | None
    suppressed: bool = Field(description="Hidden so nobody can be singled out")
    reason: str | None = Field(description="Why there is no value, e.g. \"fewer than 3 people\"")

    @classmethod
    def of(cls, figure: reports.Figure) -> FigureRead:
        return cls(value=figure.value, suppressed=figure.suppressed, reason=figure.reason)


class TargetAggregate(Output):
    metric: str
    stretch: bool
    met: FigureRead
    missed: FigureRead
    excused: FigureRead
    share_met: FigureRead = Field(description="Met of met and missed (excused periods do not "
                                              "count)")


class TeamPeriodRead(Output):
    period: ReportPeriod
    people_covered: int = Field(description="People in the team at some time in the period")
    targets: list[TargetAggregate]
    targets_met: FigureRead = Field(description="Share of non-stretch target results met, over "
                                                "every target")
    tickets_done: FigureRead
    production_changes: FigureRead
    training_hours: FigureRead
    objectives_completed: FigureRead = Field(description="Objectives completed in the period")

    @classmethod
    def of(cls, item: reports.TeamPeriod) -> TeamPeriodRead:
        return cls(period=ReportPeriod.of(item.period), people_covered=item.people_covered,
                   targets=[TargetAggregate(metric=t.metric, stretch=t.stretch,
                                            met=FigureRead.of(t.met),
                                            missed=FigureRead.of(t.missed),
                                            excused=FigureRead.of(t.excused),
                                            share_met=FigureRead.of(t.share_met))
                            for t in item.targets],
                   targets_met=FigureRead.of(item.targets_met),
                   tickets_done=FigureRead.of(item.tickets_done),
                   production_changes=FigureRead.of(item.production_changes),
                   training_hours=FigureRead.of(item.training_hours),
                   objectives_completed=FigureRead.of(item.objectives_completed))


class ReportTeam(Output):
    id: int
    name: str


class TeamReport(TeamPeriodRead):
    """A team's figures for a period, and the trend: aggregates only, never a row per person."""

    team: ReportTeam
    trend: list[TeamPeriodRead] = Field(description="The last 6 periods of the type, oldest "
                                                    "first, ending with this one")

    @classmethod
    def of_report(cls, report: reports.TeamReport) -> TeamReport:
        current = TeamPeriodRead.of(report.current)
        return cls(**dict(current), team=ReportTeam(id=report.team.id, name=report.team.name),
                   trend=[TeamPeriodRead.of(p) for p in report.trend])
