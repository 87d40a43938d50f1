"""Goals: create, list (newest first), read, edit (version-checked), complete a roadmap node, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from examples.fastapi_app.dependencies import App, GoalRef, Owner
from gaia_domain.pagination import DEFAULT_PAGE_SIZE
from gaia_domain.schemas import CompleteNode, CreateGoal, EditGoal, GoalOut, PageOut

router = APIRouter(prefix="/users/{user_id}/goals", tags=["goals"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(owner: Owner, body: CreateGoal, app: App) -> GoalOut:
    goal = await app.goals.create(
        owner,
        title=body.title,
        description=body.description,
        roadmap=body.roadmap_to_domain(),
        conversation_id=body.conversation_id_to_domain(),
    )
    return GoalOut.from_domain(goal)


@router.get("")
async def list_goals(
    owner: Owner,
    app: App,
    limit: Annotated[int, Query(description="page size, 1..200")] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageOut[GoalOut]:
    page = await app.goals.list(owner, limit=limit, cursor=cursor)
    return PageOut[GoalOut].from_page(page, GoalOut.from_domain)


@router.get("/{goal_id}")
async def get_goal(owner: Owner, goal: GoalRef, app: App) -> GoalOut:
    return GoalOut.from_domain(await app.goals.get(owner, goal))


@router.patch("/{goal_id}")
async def edit(owner: Owner, goal: GoalRef, body: EditGoal, app: App) -> GoalOut:
    """With ``expected_version``, an editor who read an older version gets 409 instead of overwriting."""
    edited = await app.goals.edit(
        owner,
        goal,
        title=body.title,
        description=body.description,
        roadmap=body.roadmap_to_domain(),
        expected_version=body.expected_version,
    )
    return GoalOut.from_domain(edited)


@router.post("/{goal_id}/complete")
async def complete_node(owner: Owner, goal: GoalRef, body: CompleteNode, app: App) -> GoalOut:
    return GoalOut.from_domain(await app.goals.complete_node(owner, goal, body.node_id))


@router.delete("/{goal_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(owner: Owner, goal: GoalRef, app: App) -> None:
    await app.goals.delete(owner, goal)
