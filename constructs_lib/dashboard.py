"""Dashboard: one CloudWatch dashboard with the alarm pack's metrics, in rows by resource group."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from constructs_lib.alarms import AlarmSpec, Metric, MetricMath

WIDTH, HEIGHT, PER_ROW = 8, 6, 3


@dataclass(frozen=True, kw_only=True)
class DashboardProps:
    name: str
    region: str
    alarms: Sequence[AlarmSpec]
    """Each alarm becomes a graph of its metric with the threshold drawn in."""


class Dashboard(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DashboardProps) -> None:
        super().__init__(scope, id_)
        dashboard = CloudwatchDashboard(self, "dashboard", dashboard_name=props.name, dashboard_body=json.dumps(dashboard_body(props)))
        self.url: str = f"https://{props.region}.console.aws.amazon.com/cloudwatch/home?region={props.region}#dashboards:name={dashboard.dashboard_name}"


def dashboard_body(props: DashboardProps) -> dict[str, object]:
    widgets: list[dict[str, object]] = []
    y = 0
    for group, specs in groupby(props.alarms, key=lambda spec: spec.group):
        widgets.append({"type": "text", "x": 0, "y": y, "width": WIDTH * PER_ROW, "height": 1, "properties": {"markdown": f"## {group}"}})
        y += 1
        for index, spec in enumerate(specs):
            if index and index % PER_ROW == 0:
                y += HEIGHT
            widgets.append(
                {
                    "type": "metric",
                    "x": (index % PER_ROW) * WIDTH,
                    "y": y,
                    "width": WIDTH,
                    "height": HEIGHT,
                    "properties": {
                        "title": spec.what,
                        "region": props.region,
                        "view": "timeSeries",
                        "period": spec.metric.period,
                        "metrics": graph_metrics(spec.metric),
                        "annotations": {"horizontal": [{"label": "alarm", "value": spec.threshold}]},
                    },
                }
            )
        y += HEIGHT
    return {"widgets": widgets}


def _graph_metric(metric: Metric, options: dict[str, object]) -> list[object]:
    dimensions = [part for pair in metric.dimensions.items() for part in pair]
    return [metric.namespace, metric.name, *dimensions, {"stat": metric.statistic, **options}]


def graph_metrics(metric: Metric | MetricMath) -> list[list[object]]:
    """A widget's ``metrics``: the metric; or the expression, with its inputs and steps computed but not drawn."""
    if isinstance(metric, Metric):
        return [_graph_metric(metric, {})]
    hidden: list[list[object]] = [_graph_metric(part, {"id": query_id, "visible": False}) for query_id, part in metric.metrics.items()]
    hidden += [[{"expression": step, "id": step_id, "visible": False}] for step_id, step in metric.steps.items()]
    return [*hidden, [{"expression": metric.expression, "id": "result", "label": metric.label}]]
