"""The handout: the 達成状況一覧 as rows (`table`), laid out for A4 (`table_layout`,
`typesetting`), written as XLSX or CSV, the committee's further sheets (`document`,
`committee_sheets`, `sheet_flow`, `sheets_xlsx`) and the charts.

Nothing here is imported by a module that reads tables in: reading never depends on writing.
"""
