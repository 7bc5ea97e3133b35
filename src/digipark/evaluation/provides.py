"""What the evaluation offers the modules that compute an indicator (`Module.indicators`): the context a formula
reads, the result it returns and the helpers formulas share (an enterprise's drill-down row, industry divisions,
online points per device)."""

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

__all__ = [
    "Computed",
    "Gap",
    "IndicatorContext",
    "NoSource",
    "Part",
    "division",
    "enterprise_row",
    "online_points_of",
    "point_states",
    "share",
]
