"""The seeds' four examples, one module each; importing this package registers them on ``app``."""

from . import agentic_workflow, generate_response, hello_world, like_post

__all__ = ["agentic_workflow", "generate_response", "hello_world", "like_post"]
