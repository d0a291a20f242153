"""The report modules; importing one registers its reports (agent_app.reports.REPORTS)."""
from agent_app.reports import (
    calls,  # noqa: F401
    staffing,  # noqa: F401
)
