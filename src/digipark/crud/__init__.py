"""Derived CRUD: declare a plain record type once (`RecordType`) and get its five service functions (its methods)
and its five REST routes (`crud.routes.add_routes`). Sits above `auth` and below the domains: it imports only
`digipark.core` and `digipark.auth`."""

from digipark.crud.records import Owner, RecordType, park_of, park_owner

__all__ = ["Owner", "RecordType", "park_of", "park_owner"]
