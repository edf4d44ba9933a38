"""HTTP API Lambda: the stepstream FastAPI app behind API Gateway's HTTP API, through Mangum."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from stepstream import load_app
from stepstream.http import create_api, routers_from_env

logger = Logger()
asgi = Mangum(create_api(load_app(), routers=routers_from_env()), lifespan="off")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = asgi(event, context)
    return response
