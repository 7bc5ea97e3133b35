"""Field-protocol connectors besides HJ 212 and Modbus: OPC UA (asyncua), BACnet/IP (bacpypes3), DL/T 645-2007
over a TCP serial gateway. Each reads devices bound to it (`DeviceBinding`), hands readings to the telemetry ingest
path (`common.store`) and records its health on the binding (`last_ok_at`, `last_error`) and in its `Health`."""
