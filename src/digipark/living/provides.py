"""What other domains may use of the living services (their only door): whether the park's living services are
used online (indicator S2.1) and how many were handled, by service; the car parks' occupancy now
(`parking_occupancy`, with each car park's position) for the operations centre's map."""

from digipark.living.parking import occupancy as parking_occupancy
from digipark.living.service import living_service_in_use, online_service_counts

__all__ = ["living_service_in_use", "online_service_counts", "parking_occupancy"]
