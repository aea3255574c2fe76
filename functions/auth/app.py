"""POST /api/auth/{register,login,refresh,logout,password} and GET /api/auth/me."""

from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from octag.auth import service
from octag.web import create_app, lambda_handler
from octag.web.auth import CurrentClaims, CurrentUser, source_ip

app = create_app("auth")


class Credentials(BaseModel):  # unknown fields (a `role`, say) are ignored
    email: str
    password: str


class RefreshRequest(BaseModel):
    refresh_token: str


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


@app.post("/api/auth/register", status_code=201)
def register(body: Credentials) -> dict[str, Any]:
    return {"user": service.register(body.email, body.password).public()}


@app.post("/api/auth/login")
def login(body: Credentials, request: Request) -> dict[str, Any]:
    return service.login(body.email, body.password, source_ip=source_ip(request)).as_response()


@app.post("/api/auth/refresh")
def refresh(body: RefreshRequest) -> dict[str, Any]:
    return service.refresh(body.refresh_token).as_response()


@app.post("/api/auth/logout", status_code=204)
def logout(body: RefreshRequest) -> Response:
    service.logout(body.refresh_token)
    return Response(status_code=204)


@app.get("/api/auth/me")
def me(user: CurrentUser) -> dict[str, Any]:
    return {"user": user.public()}


@app.post("/api/auth/password")
def change_password(body: PasswordChange, claims: CurrentClaims, request: Request) -> dict[str, Any]:
    session = service.change_password(
        claims, body.current_password, body.new_password, source_ip=source_ip(request)
    )
    return session.as_response()


handler = lambda_handler(app)
