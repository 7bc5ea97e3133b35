"""Production services and supply-chain collaboration (the record: `digipark.services.module`)."""
