"""``genai-studio-cli recipes``: the book's experiments and what each needs."""

from __future__ import annotations

from studio.cli import common
from studio.cli.common import EXIT_OK
from studio.core import recipes


def cmd_recipes(args) -> int:
    manager = common.load_manager(args)
    models = manager.models
    for r in recipes.all_recipes():
        state = "ready " if recipes.available(r, models) else "coming"
        embedded = r.embedded_dataset(models)
        if embedded and (r.stand_in or not r.dataset):
            data = f"{embedded} (stands in for: {r.book_data}); or drop {r.data_help}"
        elif embedded:
            data = embedded
        else:
            data = f"drop {r.data_help}"
        print(f"{r.id:<24} ch{r.chapter:<3} {state}  {r.model_id:<18} {r.title}")
        print(f"{'':<24} data: {data}")
        final = r.book_final()
        if final:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in final.items())
            print(f"{'':<24} the book printed: {shown}")
    print("\nRun one: genai-studio-cli train --recipe ID [--quick] [--dataset PATH] --run-dir DIR")
    return EXIT_OK
