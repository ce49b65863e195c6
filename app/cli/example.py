"""`loket example load seed-001|seed-004`: the seed years, worked through the real workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import run, say

if TYPE_CHECKING:
    from bot.services import Services

example_app = typer.Typer(help="Example data built from the seeds.", no_args_is_help=True)


@example_app.command("load")
def example_load(
    # The catalogue's help names the examples; the seeds load only when one is asked for.
    name: Annotated[str, typer.Argument(help="An example year, e.g. seed-001")],
) -> None:
    """Load an example year into the configured database (once; all or nothing)."""
    from sandbox.examples.registry import load_example

    async def work(svc: Services) -> dict[str, int]:
        return await load_example(svc.db, svc.settings, name, svc.clock.now())

    created = run(work)
    say(
        "example.loaded",
        name=name,
        created=", ".join(f"{key} {value}" for key, value in created.items()),
    )
