"""The one outgoing HTTP client of a process, carrying the request id to the next hop."""

from types import SimpleNamespace

import aiohttp

from services.common.log import REQUEST_ID_HEADER, current_request_id


async def _add_request_id(session: aiohttp.ClientSession, ctx: SimpleNamespace,
                          params: aiohttp.TraceRequestStartParams) -> None:
    request_id = current_request_id()
    if request_id and REQUEST_ID_HEADER not in params.headers:
        params.headers[REQUEST_ID_HEADER] = request_id


def client_session(*, timeout: float = 10.0) -> aiohttp.ClientSession:
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_add_request_id)
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout), trace_configs=[trace]
    )
