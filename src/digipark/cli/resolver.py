"""`digipark resolver`: the identifier resolver (`dataspace.resolver`), one or more processes answering
`GET /api/v1/dataspace/identifiers/resolve` from memory, beside `digipark serve`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from digipark.cli.options import DatabaseOption, HostOption, PortOption, database_url, shown_url, use_database
from digipark.cli.serving import browser_url, listen


def create_app() -> Any:
    """The application of one resolver process (uvicorn's factory for `--workers`)."""
    from digipark.dataspace.resolver import create_app as create_resolver_app

    return create_resolver_app()


def resolver(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8001,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Resolver processes.")] = 1,
    database: DatabaseOption = None,
) -> None:
    """Serve identifier resolution (GET /api/v1/dataspace/identifiers/resolve) from memory."""
    import uvicorn

    url = database_url(database)
    sock = listen(host, port)
    use_database(url, export_env=True)
    typer.echo(f"digipark resolver at {browser_url(host, port)} on {shown_url(url)} with {workers} process(es)")
    options: dict[str, Any] = {"log_config": None, "access_log": False}
    if workers == 1:
        try:
            uvicorn.Server(uvicorn.Config(create_app(), host=host, port=port, **options)).run(sockets=[sock])
        finally:
            sock.close()
        return
    sock.close()  # the workers bind themselves
    uvicorn.run("digipark.cli.resolver:create_app", factory=True, host=host, port=port, workers=workers, **options)
