"""The 照会様式: the departments' answer forms as Excel workbooks, out and back.

`write.write_forms` writes one XLSX per department; `collect.collect_forms` reads filled
forms back and stores their answers on the excel channel. Both speak the hidden sheet's
format of `seal`; `read` opens a returned file (and refuses what it cannot take).
"""

from handlers.reporting.inquiry.collect import CHANNEL, CollectResult, FileOutcome, collect_forms
from handlers.reporting.inquiry.read import MAX_FORM_BYTES
from handlers.reporting.inquiry.write import Form, write_forms, zip_forms

__all__ = [
    "CHANNEL",
    "MAX_FORM_BYTES",
    "CollectResult",
    "FileOutcome",
    "Form",
    "collect_forms",
    "write_forms",
    "zip_forms",
]
