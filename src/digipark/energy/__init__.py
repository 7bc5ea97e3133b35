"""Energy monitoring and carbon accounting: the 能碳管理中心."""
