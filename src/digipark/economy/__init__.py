"""Economy: enterprise archives, monthly statistics, economic monitoring, industry chain, investment leads."""
