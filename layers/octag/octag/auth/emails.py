"""Email normalization: one spelling per mailbox, so look-alikes cannot open a second account."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from octag.errors import InvalidInput


def normalize_email(raw: str) -> str:
    """NFKC (full-width and compatibility forms fold to ASCII), ASCII-only local part, IDNA domain,
    lower case. Raises InvalidInput(code="invalid_email")."""
    text = unicodedata.normalize("NFKC", raw).strip()
    try:
        # SMTPUTF8 off: a non-ASCII local part is where homoglyph look-alikes hide.
        result = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"That email address is not valid: {exc}", code="invalid_email") from None
    return f"{result.local_part.lower()}@{(result.ascii_domain or result.domain).lower()}"
