"""GET /api/health: 200 when the database and the AWS endpoint answer, 503 JSON otherwise."""

from fastapi.responses import JSONResponse

from octag.monitoring.health import check_health
from octag.web import create_app, lambda_handler

app = create_app("health")


@app.get("/api/health")
def health() -> JSONResponse:
    report = check_health()
    return JSONResponse(report.as_dict(), status_code=200 if report.ok else 503)


handler = lambda_handler(app)
