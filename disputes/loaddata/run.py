"""The run: what exists already, the plan, the groups of stores written one by one."""

import gc
import time
from collections import defaultdict

from django.utils import timezone

from accounts.models import User
from merchants.models import Merchant

from ..models import AwardLine, Complaint
from .base import CHUNK_COMPLAINTS, REVIEWERS, SENIORS, LoadDataError, seeded
from .deposit import Deposit
from .people import Store, people_rows, plan_stores
from .rows import explain_lines, other_orders, store_rows, story_rows
from .story import tell_store
from .world import Names, Sizes, World
from .writing import (
    TABLES,
    Table,
    Writer,
    analyze,
    may_skip_reference_checks,
    reset_sequences,
    store_placeholder,
)

# From this many complaints (and at least as many as are there already) the indexes are
# built once at the end rather than kept up row by row: below it the rebuild costs more.
REBUILD_INDEXES_FROM = 50_000


def existing_data_set(names: Names, complaints: int) -> int | None:
    """How many complaints this seed's data set has, or None when there is none yet."""
    if not Merchant.objects.filter(code=names.store(1)).exists():
        if User.objects.filter(username=names.consumer(1)).exists():
            raise LoadDataError(
                f"The logins of seed {names.seed} exist but its stores do not: a partial data "
                "set. Recreate the database, or use another seed."
            )
        _refuse_slot_taken(names)
        return None
    found = Complaint.objects.filter(merchant__code__startswith=f"{names.prefix}-store-").count()
    if found != complaints:
        raise LoadDataError(
            f"Seed {names.seed} already has a data set of {found} complaints, not {complaints}. "
            "Use another seed, or recreate the database."
        )
    return found


def _refuse_slot_taken(names: Names) -> None:
    codes = Merchant.objects.filter(code__regex=r"^load(-s[0-9]+)?-store-1$")
    for code in codes.values_list("code", flat=True):
        seed = 1 if code == "load-store-1" else int(code.split("-")[1][1:])
        if seed % 10 == names.number_slot:
            raise LoadDataError(
                f"Seed {seed}'s data set uses the complaint numbers of seed {names.seed} "
                "(the same last digit): choose a seed with another last digit."
            )


def chunks(stores: list[Store]):
    """Stores in groups of about CHUNK_COMPLAINTS complaints, made and written in turn."""
    group, size = [], 0
    for store in stores:
        group.append(store)
        size += store.complaints
        if size >= CHUNK_COMPLAINTS:
            yield group
            group, size = [], 0
    if group:
        yield group


def generate(
    *,
    complaints: int,
    seed: int,
    consumers: int | None = None,
    stores: int | None = None,
    busy_store_complaints: int | None = None,
    stdout=None,
) -> dict:
    """Generate the data set; returns the rows written per table (nothing on a second run)."""
    started = time.monotonic()
    say = stdout.write if stdout else (lambda _text: None)
    sizes = Sizes.scaled(complaints, consumers, stores, busy_store_complaints)
    names = Names(seed)
    found = existing_data_set(names, sizes.complaints)
    if found is not None:
        say(f"Seed {seed} already has its {found} complaints: nothing to do.")
        return {"skipped": True, "complaints": found}
    now = timezone.now().replace(microsecond=0)
    world = World(seed=seed, sizes=sizes, now=now)
    rng = seeded(seed)
    world.stores = plan_stores(world, rng)
    store_placeholder()
    rebuild = sizes.complaints >= max(REBUILD_INDEXES_FROM, Complaint.objects.count())
    writer = Writer(
        {model: Table(model, now) for model in TABLES},
        check_references=not may_skip_reference_checks(),
        rebuild_indexes=rebuild,
    )
    collecting = gc.isenabled()
    # The rows hold no reference cycles, so they are freed as soon as they are written;
    # the cycle collector would only scan and rescan millions of live objects.
    gc.disable()
    try:
        with writer:
            writer.write(people_rows(world, rng))
            say(
                f"{sizes.consumers} consumers, {sizes.stores} stores and their staff, "
                f"{REVIEWERS + SENIORS + 1} platform logins ({time.monotonic() - started:.0f} s)"
            )
            done = 0
            for group in chunks(world.stores):
                writer.write(group_rows(world, group))
                done += sum(store.complaints for store in group)
                elapsed = time.monotonic() - started
                rate = done / elapsed
                say(f"{done}/{sizes.complaints} complaints ({elapsed:.0f} s, {rate:.0f}/s)")
            say("Writing the last rows" + (", building the indexes" if rebuild else "") + "...")
    finally:
        gc.collect()
        if collecting:
            gc.enable()
    reset_sequences()
    analyze()
    result = {model._meta.label: writer.counts[model] for model in TABLES}
    result["seconds"] = round(time.monotonic() - started, 1)
    say("Rows written: " + ", ".join(f"{label} {n}" for label, n in result.items()))
    return result


def group_rows(world: World, group: list[Store]) -> dict:
    """Every row of a group of stores: their complaints told, their ledgers replayed."""
    rows = defaultdict(list)
    for store in group:
        store_rng = seeded(f"{world.seed}-store-{store.j}")
        stories = tell_store(world, store)
        deposit = Deposit(world, store, store_rng)
        deposit.replay(stories)
        store_rows(world, store, deposit, rows)
        for story in stories:
            story_rows(world, story, rows)
        other_orders(world, store, store_rng, rows)
    explain_lines(rows[AwardLine])
    return rows
