"""What the evaluation offers the modules that compute an indicator (`Module.indicators`): the context a formula
reads and the result it returns."""

from digipark.evaluation.indicators import Computed, Gap, IndicatorContext, NoSource, Part, share

__all__ = ["Computed", "Gap", "IndicatorContext", "NoSource", "Part", "share"]
