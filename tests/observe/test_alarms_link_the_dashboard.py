"""GIVEN template.yaml WHEN its alarms are read THEN each one's description links the
dashboard (a ``!Sub`` of its name), and the dashboard body parses as JSON once resolved."""

from __future__ import annotations

from stepstream.local._provision import load_template

from .conftest import TEMPLATE
from .test_dashboard_metrics import dashboard_body


def test_every_alarm_links_the_dashboard() -> None:
    resources = load_template(TEMPLATE)["Resources"]
    alarms = {k: r for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) >= 2
    for name, alarm in alarms.items():
        description = alarm["Properties"]["AlarmDescription"]
        assert "${Dashboard}" in description["Fn::Sub"], name
        assert "docs/operations.md" in description["Fn::Sub"], name
    assert {"ExecutorErrorsAlarm", "ExecutorQueueAgeAlarm", "DeadLetterAlarm"} <= set(alarms)


def test_the_dashboard_body_is_json() -> None:
    assert dashboard_body()["widgets"]
