"""The typed details' shapes, shared by detail collection, reasons and note masking."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
"""An ordinary email address."""
ORDER_NUMBER = re.compile(
    r"(?<![\w@.-])(?!\d{4}-\d{1,2}-\d{1,2}(?![\w-]))(?=[A-Za-z0-9-]*(?:\d[A-Za-z-]*){4})"
    r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w@-])"
)
"""A token of letters, digits and dashes holding at least 4 digits (not an ISO date)."""
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{5,}\d(?!\w)")
"""7 to 15 digits with an optional `+`, spaces, dashes or brackets (length checked apart)."""
