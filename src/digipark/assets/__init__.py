"""Assets: the park's asset register, lifecycle, depreciation, maintenance plans, condition monitoring and
prediction (record: `digipark.assets.module`)."""
