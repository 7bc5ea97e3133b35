"""Park notices (公告) with read receipts."""
