"""The guard of where a webhook may point lives in `core.network` (shared with the data space's NGSI-LD
notifications); automation imports it from there under its old name."""

from digipark.core.network import (
    REFUSED,
    IpAddress,
    Resolver,
    host_port,
    inside,
    literal_refusal,
    network_of,
    refusal,
)

__all__ = ["REFUSED", "IpAddress", "Resolver", "host_port", "inside", "literal_refusal", "network_of", "refusal"]
