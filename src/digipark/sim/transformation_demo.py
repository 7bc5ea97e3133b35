"""The transformation demo's old home, for importers outside sim (bench/evaluation.py): it lives in
`digipark.transformation.demo`."""

from digipark.transformation.demo import demo_answers as demo_answers
