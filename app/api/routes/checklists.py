"""Routes: checklists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api.auth import GrowthActor, Paging, PolicyWriteActor
from app.api.deps import API_PREFIX, SessionDep
from app.api.problems import problem_responses
from app.api.schemas.checklists import (ChecklistRead, ChecklistsRead, ItemKey, PeriodKey,
                                        SituationName, TemplateCreate, TemplateRead, TickUpdate)
from app.api.schemas.common import Page, PathId
from app.domain.checklists import ChecklistPeriodType
from app.services.oversight import checklists

router = APIRouter(prefix=API_PREFIX, tags=["checklists"])


@router.get("/checklists", operation_id="list_checklists", response_model=ChecklistsRead,
            responses=problem_responses(401, 403, 404, 422))
def list_checklists(
        session: SessionDep, actor: GrowthActor,
        person_id: Annotated[PathId | None, Query(description="Yours by default")] = None,
        period_type: Annotated[ChecklistPeriodType | None, Query(
            description="Only checklists of this rhythm")] = None,
        period_key: Annotated[PeriodKey | None, Query(
            description="The period (current by default); only checklists of its rhythm")]
        = None) -> ChecklistsRead:
    """A person's checklists for their situations (role, band, reports, apprentices, new
    starter). Auto items tick themselves from what GPS records, and untick if it is undone;
    manual items are ticked by the person. Self, line manager and chain may read."""
    person, views = checklists.list_checklists(session, actor, person_id=person_id,
                                               period_type=period_type, period_key=period_key)
    return ChecklistsRead(person_id=person.id, checklists=[ChecklistRead.of(v) for v in views])


@router.put("/checklists/{situation}/items/{item_key}", operation_id="tick_checklist_item",
            response_model=ChecklistRead, responses=problem_responses(401, 403, 404, 409, 413,
                                                                      422))
def tick_checklist_item(situation: SituationName, item_key: ItemKey, body: TickUpdate,
                        session: SessionDep, actor: GrowthActor,
                        period_key: Annotated[PeriodKey | None, Query(
                            description="The period (current by default)")] = None
                        ) -> ChecklistRead:
    """Tick or untick a manual item of your own checklist. Auto items tick themselves (409)."""
    return ChecklistRead.of(checklists.tick(session, actor, situation=situation,
                                            item_key=item_key, period_key=period_key,
                                            done=body.done))


@router.get("/checklist-templates", operation_id="list_checklist_templates",
            response_model=Page[TemplateRead], responses=problem_responses(401, 403, 422))
def list_checklist_templates(session: SessionDep, actor: GrowthActor, paging: Paging,
                             situation: Annotated[SituationName | None, Query()] = None
                             ) -> Page[TemplateRead]:
    """Every version of every checklist template, oldest first."""
    page = checklists.list_templates(session, actor, situation=situation, cursor=paging.cursor,
                                     limit=paging.limit)
    return Page(items=[TemplateRead.model_validate(t) for t in page.items],
                next_cursor=page.next_cursor)


@router.post("/checklist-templates", operation_id="create_checklist_template",
             status_code=status.HTTP_201_CREATED, response_model=TemplateRead,
             responses=problem_responses(401, 403, 409, 413, 422))
def create_checklist_template(body: TemplateCreate, session: SessionDep,
                              actor: PolicyWriteActor) -> TemplateRead:
    """Add a new version of a situation's checklist (admins). It is in force for periods
    starting on or after `effective_from`, until a later version is."""
    template = checklists.create_template(
        session, actor, situation=body.situation, title=body.title,
        period_type=body.period_type, effective_from=body.effective_from,
        items=[i.model_dump() for i in body.items])
    return TemplateRead.model_validate(template)

