"""The catalogue in the vocabularies data-space connectors read: a DCAT catalogue (JSON-LD) whose datasets carry
their offer as an ODRL policy, in the shape of the Eclipse Dataspace Protocol's catalogue response. A documented
subset (docs/dataspace.md): no negotiation messages over DSP yet."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.dataspace import policy, service


def dcat_catalog(session: Session, *, scope: Scope, base: str) -> dict[str, Any]:
    products = service.list_products(session, scope=scope)
    odrl = policy.vocabulary()["odrl"]
    datasets = []
    for p in products:
        c = odrl["constraints"]
        offer = {
            "@type": "Offer",
            "uid": policy.urn("offer", p.id),
            "assigner": policy.urn("enterprise", p.enterprise_id),
            "permission": [
                {
                    "target": policy.urn("product", p.id),
                    "action": odrl["permission_action"],
                    "constraint": [
                        {
                            "leftOperand": c["purpose"]["left_operand"],
                            "operator": c["purpose"]["operator"],
                            "rightOperand": list(p.purposes),
                        },
                        {"leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": f"P{p.max_days}D"},
                        {
                            "leftOperand": c["count"]["left_operand"],
                            "operator": c["count"]["operator"],
                            "rightOperand": p.max_accesses,
                        },
                    ],
                    "duty": [{"action": odrl["duty_action"]}],
                }
            ],
            "prohibition": [{"target": policy.urn("product", p.id), "action": odrl["prohibition_action"]}],
        }
        datasets.append(
            {
                "@id": policy.urn("product", p.id),
                "@type": "dcat:Dataset",
                "dct:title": p.title,
                "dct:description": p.description,
                "dct:publisher": policy.urn("enterprise", p.enterprise_id),
                "odrl:hasPolicy": offer,
                "dcat:distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "dct:format": "application/json",
                        "dcat:accessURL": f"{base}/api/v1/dataspace/products/{p.id}/contracts",
                    }
                ],
            }
        )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "odrl": odrl["context"],
        },
        "@type": "dcat:Catalog",
        "dct:title": "digipark data space",
        "dcat:dataset": datasets,
    }
