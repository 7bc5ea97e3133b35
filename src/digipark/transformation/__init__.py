"""Enterprise digital transformation: SME digital-level assessments, maturity certificates, adoption tracking,
the 小快轻准 catalogue and provider requests."""
