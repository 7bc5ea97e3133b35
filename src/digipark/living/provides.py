"""What other domains may use of the living services (their only door): whether the park's living services are
used online (indicator S2.1) and how many were handled, by service; the car parks' occupancy now
(`parking_occupancy`, with each car park's position) and the open deliveries with where each is and where it goes
(`current_deliveries`) for the operations centre's map."""

from digipark.living.delivery import DeliveryNow, current_deliveries
from digipark.living.parking import occupancy as parking_occupancy
from digipark.living.service import living_service_in_use, online_service_counts

__all__ = ["DeliveryNow", "current_deliveries", "living_service_in_use", "online_service_counts", "parking_occupancy"]
