"""Token Lambda: ``POST /v1/realtime/token`` behind the HTTP API, through Mangum."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from stepstream import load_app
from stepstream.http._realtime_routes import token_api

logger = Logger()
asgi = Mangum(token_api(load_app()), lifespan="off")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = asgi(event, context)
    return response
