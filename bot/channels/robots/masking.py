"""Webhook keys and secrets for display: enough to tell two robots apart, never the key."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

_SHOWN = 3  # characters kept at each end of a long secret
_LONG = 12  # shorter secrets are hidden entirely
_TOKEN_SEGMENT = 16  # a path segment this long is a token (Feishu's hook id)


def mask_secret(secret: str) -> str:
    if len(secret) < _LONG:
        return "***"
    return f"{secret[:_SHOWN]}…{secret[-_SHOWN:]}"


def webhook_tokens(url: str) -> list[str]:
    """The parts of a webhook that are its key: every query value and every token-like path
    segment (what mask_webhook masks)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    return [v for _k, v in parse_qsl(parts.query)] + \
        [seg for seg in parts.path.split("/") if len(seg) >= _TOKEN_SEGMENT]


def mask_webhook(url: str) -> str:
    """Every query value (WeCom `key`, DingTalk `access_token`) and every token-like path
    segment (Feishu's hook id) masked; scheme, host and the rest kept."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    path = "/".join(mask_secret(seg) if len(seg) >= _TOKEN_SEGMENT else seg
                    for seg in parts.path.split("/"))
    # written out by hand: urlencode would percent-encode the mask itself
    query = "&".join(f"{quote(name)}={mask_secret(value)}"
                     for name, value in parse_qsl(parts.query, keep_blank_values=True))
    netloc = parts.hostname or ""  # user:password@ is dropped, not masked
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, path, query, ""))
