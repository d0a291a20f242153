"""The report modules; importing one registers its reports (agent_app.reports.REPORTS)."""
from agent_app.reports import (  # noqa: F401
    advert,
    calls,
    kpi,
    leads,
    logistics,
    people,
    sales,
    staffing,
)
