"""`loket example load seed-001|seed-004`: the seed years, worked through the real workflow."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import run, say
from bot.services import Services
from sandbox.examples.registry import EXAMPLES, load_example

example_app = typer.Typer(help="Example data built from the seeds.", no_args_is_help=True)


@example_app.command("load")
def example_load(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(EXAMPLES)}")],
) -> None:
    """Load an example year into the configured database (once; all or nothing)."""

    async def work(svc: Services) -> dict[str, int]:
        return await load_example(svc.db, svc.settings, name, svc.clock.now())

    created = run(work)
    say(
        "example.loaded",
        name=name,
        created=", ".join(f"{key} {value}" for key, value in created.items()),
    )
