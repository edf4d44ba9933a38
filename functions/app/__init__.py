"""The user's code: import every workflow module here so its functions register on ``app``."""

from . import hello, workflows
from .client import app

__all__ = ["app", "hello", "workflows"]
