"""digipark: the unified digital platform of a high-standard digital industrial park."""

__version__ = "0.1.0"
