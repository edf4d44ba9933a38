"""A token function that sends no CORS headers: the token route alone, without add_cors (what
template.yaml's TokenFunction was before issue 8)."""

from fastapi import FastAPI
from mangum import Mangum

from stepstream.http._realtime_routes import realtime_router

_api = FastAPI()
_api.include_router(realtime_router(None))
handler = Mangum(_api, lifespan="off")
