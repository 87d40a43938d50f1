"""Users: register, read, update the profile and onboarding, delete (which also removes their data)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from examples.fastapi_app.dependencies import App, Owner
from gaia_domain.schemas import RegisterUser, UpdateOnboarding, UpdateProfile, UserOut

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterUser, app: App, response: Response) -> UserOut:
    user = await app.users.register(
        email=body.email, name=body.name, picture_url=body.picture_url, timezone=body.timezone
    )
    response.headers["Location"] = f"/users/{user.id}"
    return UserOut.from_domain(user)


@router.get("/{user_id}")
async def get_user(owner: Owner, app: App) -> UserOut:
    return UserOut.from_domain(await app.users.get(owner))


@router.patch("/{user_id}/profile")
async def update_profile(owner: Owner, body: UpdateProfile, app: App) -> UserOut:
    user = await app.users.update_profile(
        owner, name=body.name, picture_url=body.picture_url, timezone=body.timezone, clear_picture=body.clear_picture
    )
    return UserOut.from_domain(user)


@router.patch("/{user_id}/onboarding")
async def update_onboarding(owner: Owner, body: UpdateOnboarding, app: App) -> UserOut:
    user = await app.users.update_onboarding(owner, phase=body.phase, preferences=body.preferences_to_domain())
    return UserOut.from_domain(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(owner: Owner, app: App) -> None:
    """The user and their goals go in one transaction; ``UserDeleted`` then removes their conversations."""
    await app.users.delete(owner)
