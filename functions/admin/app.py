"""Admin API: GET /api/admin/users and POST /api/admin/users/{user_id}/status (admins only)."""

from typing import Any, Literal

from fastapi import Depends, Query
from pydantic import BaseModel

from octag.auth import service
from octag.web import create_app, lambda_handler
from octag.web.auth import require_role

app = create_app("admin")
admin_only = [Depends(require_role("admin"))]


class StatusChange(BaseModel):
    status: Literal["active", "disabled"]


@app.get("/api/admin/users", dependencies=admin_only)
def list_users(limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    return {"users": [u.public() for u in service.list_users(limit=limit, offset=offset)]}


@app.post("/api/admin/users/{user_id}/status", dependencies=admin_only)
def set_user_status(user_id: str, body: StatusChange) -> dict[str, Any]:
    return {"user": service.set_user_status(user_id, body.status).public()}


handler = lambda_handler(app)
