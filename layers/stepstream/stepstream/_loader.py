"""Find the user's app by reference, so the library never imports ``functions/`` by name."""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

from ._config import Settings

if TYPE_CHECKING:
    from ._app import Stepstream


@functools.cache
def load_app(ref: str | None = None) -> Stepstream:
    """Import ``module:attribute`` (default: ``STEPSTREAM_APP``, else ``app:app``)."""
    from ._app import Stepstream

    ref = ref or Settings.from_env().app_ref
    module_name, _, attribute = ref.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"STEPSTREAM_APP must look like 'module:attribute', got {ref!r}")
    module = importlib.import_module(module_name)
    app = getattr(module, attribute, None)
    if not isinstance(app, Stepstream):
        raise TypeError(
            f"{ref!r} is {type(app).__name__}, not a Stepstream app; "
            "point STEPSTREAM_APP at the object made by Stepstream(id=...)"
        )
    return app
