"""Translatable labels of field names and coded values (msgids; pages translate them at render time)."""

from __future__ import annotations

from digipark.core.codes import CodeError, english_industry_name, industry
from digipark.web.i18n import N_

FIELD_LABELS = {
    "id": N_("ID"),
    "park_id": N_("Park"),
    "zone_id": N_("Zone"),
    "parcel_id": N_("Land parcel"),
    "building_id": N_("Building"),
    "floor_id": N_("Floor"),
    "room_id": N_("Room"),
    "enterprise_id": N_("Enterprise"),
    "device_id": N_("Device"),
    "code": N_("Code"),
    "name": N_("Name"),
    "name_en": N_("English name"),
    "region_code": N_("Region code"),
    "address": N_("Address"),
    "address_en": N_("English address"),
    "level": N_("Level"),
    "leading_industries": N_("Leading industries"),
    "area_m2": N_("Area (m²)"),
    "area_mu": N_("Area (mu, 亩)"),
    "centre_lon": N_("Centre longitude"),
    "centre_lat": N_("Centre latitude"),
    "boundary": N_("Boundary (GeoJSON)"),
    "function": N_("Function"),
    "geometry": N_("Geometry (GeoJSON)"),
    "land_use": N_("Land use"),
    "owner": N_("Land user"),
    "owner_en": N_("Land user's English name"),
    "lease_start": N_("Lease start"),
    "lease_end": N_("Lease end"),
    "footprint": N_("Footprint (GeoJSON)"),
    "floors": N_("Floors above ground"),
    "gross_floor_area_m2": N_("Gross floor area (m²)"),
    "use": N_("Use"),
    "year_built": N_("Year built"),
    "gigabit_fibre": N_("Gigabit fibre"),
    "coverage_5g": N_("5G coverage"),
    "lease_from": N_("Leased from"),
    "lease_to": N_("Leased to"),
    "uscc": N_("Unified social credit code"),
    "industry_code": N_("Industry (GB/T 4754)"),
    "above_scale": N_("Above designated size"),
    "industrial": N_("Industrial enterprise"),
    "registered_capital_wan_yuan": N_("Registered capital (10k yuan)"),
    "employees": N_("Employees"),
    "established_on": N_("Established on"),
    "contact_name": N_("Contact person"),
    "contact_phone": N_("Contact phone"),
    "contact_email": N_("Contact e-mail"),
    "status": N_("Status"),
    "kind": N_("Device kind"),
    "model": N_("Model"),
    "manufacturer": N_("Manufacturer"),
    "protocol": N_("Protocol"),
    "location": N_("Location"),
    "lon": N_("Longitude"),
    "lat": N_("Latitude"),
    "installed_on": N_("Installed on"),
    "create_points": N_("Create the kind's standard points"),
    "key": N_("Key"),
    "quantity": N_("Quantity"),
    "unit": N_("Unit"),
    "device_class": N_("Device class"),
    "state_class": N_("State class"),
    "expected_interval_s": N_("Expected interval (s)"),
    "valid_min": N_("Valid minimum"),
    "valid_max": N_("Valid maximum"),
    "description": N_("Description"),
    "created_at": N_("Created"),
    "updated_at": N_("Updated"),
}

# A park's approval level as the 开发区 lists write it (free text; these are shown in the page's language).
PARK_LEVELS = {
    "国家级经济技术开发区": N_("National economic and technological development zone"),
    "国家级高新技术产业开发区": N_("National high-tech industrial development zone"),
    "省级经济开发区": N_("Provincial economic development zone"),
    "省级高新技术产业开发区": N_("Provincial high-tech industrial development zone"),
}

ZONE_FUNCTIONS = {
    "industrial": N_("Industrial"),
    "logistics": N_("Logistics"),
    "office": N_("Office"),
    "research": N_("Research & development"),
    "living": N_("Living services"),
    "utility": N_("Utilities"),
    "commercial": N_("Commercial"),
    "green": N_("Green space"),
}

BUILDING_USES = {
    "factory": N_("Factory"),
    "office": N_("Office building"),
    "warehouse": N_("Warehouse"),
    "dormitory": N_("Dormitory"),
    "utility": N_("Utility building"),
    "research": N_("R&D building"),
    "lab": N_("Laboratory"),
    "commercial": N_("Commercial building"),
    "canteen": N_("Canteen"),
    "parking": N_("Car park"),
    "datacenter": N_("Data centre"),
}

ENTERPRISE_STATUS = {
    "active": N_("Active"),
    "moved_out": N_("Moved out"),
    "closed": N_("Closed"),
}

DEVICE_STATUS = {
    "active": N_("In service"),
    "inactive": N_("Inactive"),
    "maintenance": N_("Under maintenance"),
    "retired": N_("Retired"),
}

STATE_CLASSES = {
    "measurement": N_("Measurement"),
    "total_increasing": N_("Cumulative total"),
}

ROOM_USES = {
    "production": N_("Production"),
    "storage": N_("Storage"),
    "office": N_("Office"),
    "shop": N_("Shop"),
    "plant_room": N_("Plant room"),
    "lab": N_("Laboratory"),
}

# land-use classes of GB 50137-2011 (urban land classification) used for park parcels
LAND_USES = {
    "M1": N_("Class 1 industrial land"),
    "M2": N_("Class 2 industrial land"),
    "M3": N_("Class 3 industrial land"),
    "W1": N_("Class 1 logistics and warehouse land"),
    "W2": N_("Class 2 logistics and warehouse land"),
    "B1": N_("Commercial land"),
    "B2": N_("Business land"),
    "B29": N_("Other business land"),
    "A35": N_("Research land"),
    "R2": N_("Class 2 residential land"),
    "U1": N_("Supply facilities land"),
    "G1": N_("Park and green land"),
}

# what points measure (registry/data/device_kinds.yaml and the simulator's points): quantity and device class
QUANTITIES = {
    "alarm_state": N_("Alarm state"),
    "charging_energy": N_("Charging energy"),
    "co2_concentration": N_("CO2 concentration"),
    "co_concentration": N_("CO concentration"),
    "cod_concentration": N_("COD concentration"),
    "combustible_gas": N_("Combustible gas"),
    "electric_energy": N_("Electric energy"),
    "electric_power": N_("Electric power"),
    "export_energy": N_("Energy exported"),
    "gas_volume": N_("Gas volume"),
    "h2s_concentration": N_("H2S concentration"),
    "nh3n_concentration": N_("Ammonia nitrogen concentration"),
    "nox_concentration": N_("NOx concentration"),
    "o2_concentration": N_("O2 concentration"),
    "occupancy": N_("Occupancy"),
    "ph": N_("pH value"),
    "pm10": N_("PM10"),
    "pm25": N_("PM2.5"),
    "pm_concentration": N_("Particulate concentration"),
    "power_factor": N_("Power factor"),
    "pv_energy": N_("PV generation"),
    "pv_power": N_("PV power"),
    "relative_humidity": N_("Relative humidity"),
    "so2_concentration": N_("SO2 concentration"),
    "state_of_charge": N_("State of charge"),
    "steam_mass": N_("Steam mass"),
    "storage_charge_energy": N_("Energy charged"),
    "storage_discharge_energy": N_("Energy discharged"),
    "temperature": N_("Temperature"),
    "valve_position": N_("Valve position"),
    "vibration_velocity": N_("Vibration velocity"),
    "voltage": N_("Voltage"),
    "volume_flow_rate": N_("Volume flow rate"),
    "water_volume": N_("Water volume"),
}
DEVICE_CLASSES = {
    "battery": N_("Battery level"),
    "smoke": N_("Smoke"),
    "carbon_dioxide": N_("Carbon dioxide"),
    "carbon_monoxide": N_("Carbon monoxide"),
    "water_quality": N_("Water quality"),
    "gas_concentration": N_("Gas concentration"),
    "energy": N_("Energy"),
    "power": N_("Power"),
    "gas": N_("Gas"),
    "air_emission": N_("Flue gas emission"),
    "occupancy": N_("Occupancy"),
    "ph": N_("pH value"),
    "pm10": N_("PM10"),
    "pm25": N_("PM2.5"),
    "power_factor": N_("Power factor"),
    "humidity": N_("Humidity"),
    "weight": N_("Mass"),
    "temperature": N_("Temperature"),
    "valve": N_("Valve"),
    "vibration": N_("Vibration"),
    "voltage": N_("Voltage"),
    "volume_flow_rate": N_("Volume flow rate"),
    "water": N_("Water"),
}
UNITS = {"dimensionless": N_("no unit")}  # the other units are shown as written (kWh, m³, mg/L ...)

YES_NO = {True: N_("Yes"), False: N_("No")}

# (kind, field) -> labels of the field's coded values
VALUE_LABELS: dict[tuple[str, str], dict[str, str]] = {
    ("zone", "function"): ZONE_FUNCTIONS,
    ("building", "use"): BUILDING_USES,
    ("room", "use"): ROOM_USES,
    ("land_parcel", "land_use"): LAND_USES,
    ("enterprise", "status"): ENTERPRISE_STATUS,
    ("device", "status"): DEVICE_STATUS,
    ("point", "state_class"): STATE_CLASSES,
    ("point", "quantity"): QUANTITIES,
    ("point", "device_class"): DEVICE_CLASSES,
    ("point", "unit"): UNITS,
}
# values shown with their code in front ("M1 一类工业用地")
CODED_VALUES = frozenset({("land_parcel", "land_use")})
# closed sets (a select); the others are suggestions for a free-text field
CLOSED_VALUES = frozenset({("enterprise", "status"), ("device", "status"), ("point", "state_class")})


def industry_name(code: str, lang: str) -> str:
    """The GB/T 4754-2017 name of an industry code in the page's language (the code itself if unknown)."""
    try:
        entry = industry(code)
    except CodeError:
        return code
    if lang != "en":
        return entry.name_zh
    return english_industry_name(entry) or entry.name_zh
