"""What the evaluation offers the modules that compute an indicator (`Module.indicators`): the context a formula
reads, the result it returns and the helpers formulas share (an enterprise's drill-down row, industry divisions,
online points per device); for scheduled reports and dashboards: the park's evaluation of a year
(`evaluate`) and its report file (`render_report`: pdf, xlsx or html)."""

from digipark.evaluation.indicators import (
    Computed,
    Gap,
    IndicatorContext,
    NoSource,
    Part,
    division,
    enterprise_row,
    online_points_of,
    point_states,
    share,
)
from digipark.evaluation.report import render as render_report
from digipark.evaluation.service import for_year as evaluate

__all__ = [
    "Computed",
    "Gap",
    "IndicatorContext",
    "NoSource",
    "Part",
    "division",
    "enterprise_row",
    "evaluate",
    "online_points_of",
    "point_states",
    "render_report",
    "share",
]
