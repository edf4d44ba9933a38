"""Who may have a subscription token for which channel: a pluggable hook.

The token endpoint calls the hook with a :class:`TokenRequest`. The default,
:func:`require_signing_key`, allows a request only when it carries the deployment's signing key
(raw or Inngest-hashed), as Inngest's own endpoint does. Replace it to let, say, a logged-in
browser fetch tokens for its own channels only::

    @app.realtime.authorizer
    def allow(request: TokenRequest) -> bool:
        return request.signing_key_ok or (
            request.channel == f"user:{session_user(request.headers)}"
        )
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenRequest:
    """What a caller asks a token for, and what is known about the caller."""

    app_id: str
    """The app the token would be minted for."""
    channel: str
    """The one channel asked for."""
    topics: tuple[str, ...]
    """The topics of that channel asked for."""
    signing_key_ok: bool
    """The request carried the deployment's signing key (raw or hashed) as a Bearer token."""
    headers: Mapping[str, str]
    """The request's headers (lower-case names), for hooks that use cookies or other auth."""


Authorize = Callable[[TokenRequest], bool | Awaitable[bool]]
"""A hook: return (or resolve to) ``True`` to mint the token."""


def require_signing_key(request: TokenRequest) -> bool:
    """The default hook: only holders of the signing key get tokens."""
    return request.signing_key_ok


async def is_allowed(hook: Authorize, request: TokenRequest) -> bool:
    """Run a sync or async hook; anything but ``True`` denies."""
    answer = hook(request)
    if inspect.isawaitable(answer):
        answer = await answer
    return answer is True
