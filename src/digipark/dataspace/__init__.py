"""The park's data space: data products over the platform's data, usage contracts with ODRL-style policies checked
on every access, a hash-chained ledger of contract events, the data platform's cleaning rules with lineage, and
industrial internet identifiers."""
