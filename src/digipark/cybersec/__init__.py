"""Digital infrastructure and industrial internet security: the park's network and compute inventory (双千兆
coverage per building, compute capacity and its users), enterprises' security grading and data classification,
ICS assets matched to vulnerability advisories, and security events correlated into incidents."""
