"""Laravel-style pagination blocks, exactly as seed 003 shows them (15 per page)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["page_number", "pagination"]


def page_number(value: Any) -> int:
    """``page`` as sent (query or data); anything unusable means page 1, as Laravel does."""
    try:
        page = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return page if 1 <= page <= 10**9 else 1


def pagination(page_url: str, page: int, per_page: int, total: int, count: int) -> dict[str, Any]:
    last = max(1, math.ceil(total / per_page))
    return {
        "total": total,
        "count": count,
        "per_page": per_page,
        "current_page": page,
        "total_pages": last,
        "page_url": page_url,
        "next_page_url": f"{page_url}?page={page + 1}" if page < last else None,
        "previous_page_url": f"{page_url}?page={page - 1}" if page > 1 else None,
    }
