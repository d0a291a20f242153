"""来电日报: inbound calls per day of a period, answered and abandoned, with a chart."""
from __future__ import annotations

from agent_app.services.calls import CallService
from ui.kit.chart import ChartView
from ui.kit.report import ReportPanel
from ui.kit.table import Column


class DailyCallsReport(ReportPanel):
    def title(self) -> str:
        return self.tr("Daily calls")

    def columns(self) -> list[Column]:
        return [Column("day", self.tr("Day"), kind="date"),
                Column("inbound", self.tr("Inbound"), kind="int"),
                Column("answered", self.tr("Answered"), kind="int"),
                Column("abandoned", self.tr("Abandoned"), kind="int"),
                Column("answer_rate", self.tr("Answer rate"), kind="percent"),
                Column("average_talk_s", self.tr("Average talk"), kind="duration")]

    def query(self, date_from, date_to, extra):
        service = self.ctx.services.get(CallService)
        return service.daily_totals, self.ctx.actor, date_from, date_to

    def draw(self, chart: ChartView, rows) -> bool:
        chart.set_bar([f"{r.day:%m-%d}" for r in rows],
                      {self.tr("Answered"): [r.answered for r in rows],
                       self.tr("Abandoned"): [r.abandoned for r in rows]},
                      title=self.title())
        return True

    def totals(self, rows):
        inbound = sum(r.inbound for r in rows)
        answered = sum(r.answered for r in rows)
        talk = sum(r.talk_s for r in rows)
        return (self.tr("Total"), inbound, answered, sum(r.abandoned for r in rows),
                answered / inbound if inbound else 0.0, talk / answered if answered else 0.0)
