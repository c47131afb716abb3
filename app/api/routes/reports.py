"""Routes: reports. Participation roll-ups and team dashboards, as JSON or SVG charts."""

from __future__ import annotations

import asyncio
import weakref
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from app.api.auth import ReportsTeamActor
from app.api.deps import API_PREFIX, SessionDep
from app.api.middleware import RELEASE_TURN
from app.api.negotiation import prefers
from app.api.problems import problem_responses
from app.api.render import charts
from app.api.schemas.common import PathId
from app.api.schemas.reports import ParticipationReport, TeamReport
from app.domain.vocabulary import PeriodType
from app.services.oversight import reports

router = APIRouter(prefix=API_PREFIX, tags=["reports"])

JSON = "application/json"
SVG = "image/svg+xml"

PeriodKey = Annotated[str | None, Query(
    max_length=40, description="`2026-W48`, `2026-Q4`, or for sprints `jira-<sprint id>` or "
                               "`team<team id>-<first day>`; default the current period")]


def wants_svg(accept: str | None) -> bool:
    """A chart when the caller prefers SVG to JSON; JSON on a tie or anything unknown."""
    return prefers(accept, SVG)


def _ok(what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": f"{what}: JSON by default, an SVG chart with "
                                 f"`Accept: {SVG}`",
                  "content": {SVG: {"schema": {"type": "string"}}},
                  "headers": {"Vary": {"description": "Accept", "schema": {"type": "string"}}}}}


# Charts already drawn, by their data (whoever asked); and how many each caller has being drawn.
CHARTS = charts.ChartCache(size=64)
SLOTS = charts.CallerSlots(per_caller=2)
# Drawing is CPU-bound and matplotlib draws one chart at a time per process: charts are drawn
# in one worker thread, and those waiting for it wait on the event loop, holding no thread.
_DRAWERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = \
    weakref.WeakKeyDictionary()


def _drawer() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _DRAWERS.get(loop)
    if limiter is None:
        limiter = _DRAWERS[loop] = anyio.CapacityLimiter(1)
    return limiter


class ChartResponse(Response):
    """An SVG chart, drawn once the route's database work is over: the request gives back its
    turn and its connection first, then waits for the drawing without holding a thread."""

    def __init__(self, chart: charts.Chart, caller: str) -> None:
        super().__init__(media_type=SVG, headers={"Vary": "Accept"})
        self.chart = chart
        self.caller = caller

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        svg = CHARTS.get(self.chart)
        if svg is None:
            with SLOTS.hold(self.caller):  # 429 beyond two at once for one caller
                release = scope.get(RELEASE_TURN)
                if release is not None:
                    release()
                svg = await anyio.to_thread.run_sync(charts.draw, self.chart,
                                                     limiter=_drawer())
            CHARTS.put(self.chart, svg)
        await Response(content=svg, media_type=SVG, headers={"Vary": "Accept"})(
            scope, receive, send)


@router.get("/reports/participation", operation_id="get_participation_report",
            response_model=ParticipationReport,
            responses={**_ok("The participation report"),
                       **problem_responses(401, 403, 404, 422, 429)})
def get_participation_report(
        request: Request, response: Response, session: SessionDep, actor: ReportsTeamActor,
        manager_id: Annotated[PathId | None, Query(description="Yours by default")] = None,
        period_type: Annotated[PeriodType | None, Query(
            description="`week` (default) or `quarter`")] = None,
        period_key: PeriodKey = None) -> ParticipationReport | Response:
    """A manager's participation in the growth cycle (the policy's "meta-monitoring"), for
    the manager, anyone above them and the head of department.

    For each direct report (by name, never ranked): objectives set and agreed for the quarter
    containing the period, one-to-ones held (per ISO week for a quarter), weeks with an
    accomplishment logged, training hours, and coaching sessions held of planned for
    coachees; for reports who manage people, the same figures over their whole line as
    shares. Then the manager's own record as a manager (one-to-ones held with their reports,
    objectives they agreed) and the roll-up of their whole line.

    Send `Accept: image/svg+xml` for a chart: grouped bars of each measure's share for each
    direct report and the whole line.
    """
    report = reports.participation(session, actor, manager_id=manager_id,
                                   period_type=period_type, period_key=period_key)
    if wants_svg(request.headers.get("accept")):
        return ChartResponse(charts.participation_chart_data(report), actor.label)
    response.headers["Vary"] = "Accept"
    return ParticipationReport.of(report)


@router.get("/reports/teams/{team_id:int}", operation_id="get_team_report",
            response_model=TeamReport,
            responses={**_ok("The team dashboard"), **problem_responses(401, 403, 404, 422, 429)})
def get_team_report(
        team_id: PathId, request: Request, response: Response, session: SessionDep,
        actor: ReportsTeamActor,
        period_type: Annotated[PeriodType | None, Query(
            description="`week` (default), `sprint` or `quarter`")] = None,
        period_key: PeriodKey = None) -> TeamReport | Response:
    """A team's dashboard for a period: aggregates only, never a row per person. People
    covered (active members); per target, how many met, missed and were excused and the
    share met; tickets done, production changes, training hours and objectives completed;
    and the trend over the last 6 periods of the type.

    Any figure computed over fewer than 3 people is suppressed (`value` null, `suppressed`
    true, and the reason) so nobody can be singled out. For the team's delivery manager and
    product owner, anyone above a member in the line, admins and the head of department.

    Send `Accept: image/svg+xml` for a chart of the share of targets met over the trend.
    """
    report = reports.team_report(session, actor, team_id, period_type=period_type,
                                 period_key=period_key)
    if wants_svg(request.headers.get("accept")):
        return ChartResponse(charts.team_chart_data(report), actor.label)
    response.headers["Vary"] = "Accept"
    return TeamReport.of_report(report)
