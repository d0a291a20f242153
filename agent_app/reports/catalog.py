"""The report modules; importing one registers its reports (agent_app.reports.REPORTS)."""
from agent_app.reports import advert, calls  # noqa: F401
