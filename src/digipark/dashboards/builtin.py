"""The built-in dashboards: the operations screen (大屏) as data. `/ioc/screen` draws this definition (or a park's
copy of it, `?dashboard=<id>`); an admin copies it like any dashboard file (the list page's "copy" imports it) and
edits the copy: which panels stand where, which map views the centre turns through, how many seconds each."""

from __future__ import annotations

from typing import Any

from digipark.dashboards.spec import FORMAT, VERSION, DashboardFile, DashboardSpec

OPERATIONS_SCREEN_NAME = "运营大屏"
OPERATIONS_SCREEN_NAME_EN = "Operations screen"


def _panel(panel: str, title: str, area: str) -> dict[str, Any]:
    return {"kind": "panel", "panel": panel, "title": title, "area": area, "width": 12}


OPERATIONS_SCREEN: dict[str, Any] = {
    "time_range": "24h",
    "rotate_s": 20,
    "widgets": [
        _panel("park_now", "园区实时", "left"),
        _panel("economy", "经济运行", "left"),
        _panel("energy_carbon", "能耗与碳排放", "left"),
        {
            "kind": "map",
            "title": "园区三维地图",
            "area": "centre",
            "width": 12,
            "layers": ["devices", "alarms", "risk", "car_parks", "deliveries"],
        },
        {"kind": "map", "title": "能耗热力", "area": "centre", "width": 12, "layers": ["energy", "alarms"]},
        _panel("energy_carbon", "能耗与碳排放", "centre"),
        _panel("safety", "安全风险", "centre"),
        _panel("standards", "四项建设标准", "centre"),
        _panel("safety", "安全", "right"),
        _panel("standards", "建设标准", "right"),
        _panel("incidents", "突发事件", "right"),
        _panel("ticker", "告警滚动", "bottom"),
    ],
}


def operations_screen_spec() -> DashboardSpec:
    return DashboardSpec.model_validate(OPERATIONS_SCREEN)


def operations_screen_file() -> dict[str, Any]:
    """The built-in screen as an exported dashboard file (what "copy" imports)."""
    return DashboardFile(
        format=FORMAT,
        version=VERSION,
        name=OPERATIONS_SCREEN_NAME,
        description="运营大屏的内置定义：左右两列的面板、中间轮播的视图、底部的告警滚动条。",
        shared_roles=["park_admin", "operator", "reviewer"],
        spec=operations_screen_spec(),
    ).model_dump(mode="json")


def is_screen(spec: DashboardSpec) -> bool:
    """A dashboard the operations screen can draw: it has a screen panel or a map view."""
    return any(w.kind in ("panel", "map") for w in spec.widgets)
