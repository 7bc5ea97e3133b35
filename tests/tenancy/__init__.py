"""Cross-tenant denial on every API endpoint and every web page the module records declare.

`test_api`: every API route of the records' routers, exercised by `table.TABLE` (one table per domain in
`api_<domain>.py`, built with the exercises of `exercises.py` and the shared `helpers.py`), and refused without a
login. `test_reviewer`: a reviewer of several parks. `test_pages`: pages of one row, and every page without a
login. `test_list_pages`: list pages. `test_streams`: live pages.
"""
