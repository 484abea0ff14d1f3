"""The write figures, in process on the scratch database: the deadline sweep, payouts on
one deposit, filing, and what PostgreSQL allows on one row beside them."""

import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from statistics import median

from django.db import connection, transaction
from django.utils import timezone

from accounts.backends import IdentifierBackend
from accounts.models import User
from deposits import services as ledger
from deposits.destinations import Destination
from disputes import selectors, services
from disputes.deadlines import process_due_complaints
from disputes.models import Complaint
from merchants.models import Order

from . import checks
from .broker import Broker
from .parallel import Outcome, run_in_processes
from .report import PER_SECOND, Figure, rate_at_least
from .scratch import ScratchWorld

SECTION = "Money and deadlines (in process, scratch database)"
PROCESSES = 2  # one per core on the 2-core machine the targets are set for
SWEEP_TARGET = 2000
PAYOUT_TARGET = 300
FILING_TARGET = 200
LIMIT_TABLE = "bench_limit_row"
BATCH = 100


@dataclass(frozen=True)
class MoneyOptions:
    sweep_complaints: int
    sweep_stores: int
    payouts: int
    payout_calls: int
    filings: int
    limit_seconds: float
    broker_url: str


# --- what PostgreSQL allows on one row -------------------------------------------------------


def _create_limit_row() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {LIMIT_TABLE} (id integer PRIMARY KEY, n bigint NOT NULL)")
        cursor.execute(f"INSERT INTO {LIMIT_TABLE} VALUES (1, 0)")  # noqa: S608 - a constant


def _limit_row_value() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n FROM {LIMIT_TABLE} WHERE id = 1")  # noqa: S608
        return cursor.fetchone()[0]


def _bump_limit_row(spec: tuple[int, float]) -> int:
    """Lock, update and commit the one row, `batch` times per transaction, for `seconds`."""
    batch, seconds = spec
    lock = f"SELECT n FROM {LIMIT_TABLE} WHERE id = 1 FOR UPDATE"  # noqa: S608
    update = f"UPDATE {LIMIT_TABLE} SET n = n + 1 WHERE id = 1"  # noqa: S608
    done = 0
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            with transaction.atomic():
                for _ in range(batch):
                    cursor.execute(lock)
                    cursor.execute(update)
            done += batch
    return done


# --- what Django's ORM allows a transaction of as many statements -------------------------

# The statements each service runs per call besides BEGIN and COMMIT, as its statement test
# pins them (tests/deposits/test_payout_statements.py, tests/disputes/
# test_filing_statements.py, test_decision_statements.py; their budgets less the test's
# savepoint; a payout's writes are one statement on PostgreSQL, which the harness runs on),
# and how many processes its figure runs in.
ORM_FLOORS = {"payout": (4, PROCESSES), "filing": (12, 1), "decision": (14, PROCESSES)}


def _orm_reads(spec: tuple[int, int, float]) -> int:
    """Transactions of `statements` ORM reads of one row by primary key, for `seconds`:
    the cheapest statement the ORM makes, so no service of as many statements is faster."""
    user_id, statements, seconds = spec
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with transaction.atomic():
            for _ in range(statements):
                User.objects.filter(pk=user_id).first()
        done += 1
    return done


# --- the service figures -------------------------------------------------------------------


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _sweep(now) -> int:
    return process_due_complaints(now)


def _complaints_with_lines(pks: list[int]):
    """Each complaint with the award lines a reviewer would confirm (its rules' suggestion)
    and its reviewer as their request has them: read with their roles by the session's
    backend, outside the decision's transaction."""
    complaints = Complaint.objects.filter(pk__in=pks).select_related("order", "consumer")
    return [
        (
            complaint,
            [
                services.LineInput(rule=line.rule, amount=line.amount)
                for line in selectors.suggestion_for_complaint(complaint)
            ],
            IdentifierBackend().get_user(complaint.assigned_reviewer_id),
        )
        for complaint in complaints
    ]


def _decide_all(prepared) -> int:
    for complaint, lines, reviewer in prepared:
        services.decide_complaint(
            complaint=complaint,
            actor=reviewer,
            lines=lines,
            reason_code="rule_broken",
            reasoning="bench: the goods do not match the description",
        )
    return len(prepared)


def _pay_out_calls(spec) -> int:
    account, payee, prefix, count = spec
    for i in range(count):
        ledger.pay_out(
            account=account,
            reference=f"{prefix}{i}",
            amount=Decimal("1.00"),
            payee=payee,
            destination=Destination.alipay_login(payee),
            idempotency_key=f"{prefix}{i}",
        )
    return count


def _pay_out_batches(spec) -> int:
    account, payee, prefix, count = spec
    requests = [
        ledger.PayoutRequest(
            reference=f"{prefix}{i}",
            amount=Decimal("1.00"),
            payee=payee,
            destination=Destination.alipay_login(payee),
            idempotency_key=f"{prefix}{i}",
        )
        for i in range(count)
    ]
    for start in range(0, count, BATCH):
        ledger.pay_out_many(account=account, requests=requests[start : start + BATCH])
    return count


def _decide_pay_first(prepared) -> int:
    for complaint, lines, reviewer in prepared:
        services.decide_complaint(
            complaint=complaint,
            actor=reviewer,
            lines=lines,
            reason_code="rule_broken",
            reasoning="bench: the goods do not match the description",
            route="merchant_first",
        )
    return len(prepared)


def _orders_with_consumers(order_ids: list[int]):
    """The orders with their consumers loaded, as the filing view has `request.user`."""
    return list(Order.objects.filter(pk__in=order_ids).select_related("consumer"))


def _file_all(orders) -> int:
    for order in orders:
        services.file_complaint(
            order=order,
            consumer=order.consumer,
            kind="description_mismatch",
            description="bench: the goods do not match the description",
            claimed_amount=Decimal("199.00"),
        )
    return len(orders)


def _halves(items: list, parts: int) -> list[list]:
    return [items[i::parts] for i in range(parts)]


def _processes(count: int) -> str:
    return "1 process" if count == 1 else f"{count} processes"


def _at_once(count: int) -> str:
    return "in one process" if count == 1 else f"in {count} processes at once"


def _figure(what: str, method: str, target=None) -> Figure:
    figure = Figure(SECTION, what, method, unit=PER_SECOND)
    if target is not None:
        figure.target = target
    return figure


def _limit_figure(options: MoneyOptions, batch: int, processes: int) -> Figure:
    return _figure(
        f"limit: one row, `SELECT … FOR UPDATE; UPDATE`, {batch} per commit, "
        f"{_processes(processes)}",
        f"a bare loop locking and updating the one row of a table for "
        f"{options.limit_seconds:g} s {_at_once(processes)}, through Django's "
        "cursor in `transaction.atomic()`: what PostgreSQL allows one hot row here",
    )


def _orm_floor_figure(options: MoneyOptions, service: str) -> Figure:
    statements, processes = ORM_FLOORS[service]
    return _figure(
        f"limit: a transaction of {statements} ORM reads ({service}'s statements), "
        f"{_processes(processes)}",
        f"a bare loop of transactions, each {statements} `User.objects.filter(pk=…).first()`, "
        f"for {options.limit_seconds:g} s {_at_once(processes)}: the least Django's ORM and "
        f"PostgreSQL's round trips cost a transaction of as many statements as a {service} "
        "runs, whatever it writes",
    )


def _sweep_figure(options: MoneyOptions, processes: int) -> Figure:
    return _figure(
        f"deadline sweep (silent merchant → escalate with hold), {_processes(processes)}",
        f"{options.sweep_complaints:,} complaints filed 49 h ago and never answered "
        f"(bulk-created as filing leaves them) on {options.sweep_stores} store(s), then "
        f"`process_due_complaints(now)` {_at_once(processes)}; transitions/s; "
        "checked: each complaint escalated exactly once (one logged transition, one hold), "
        "audit clean",
        rate_at_least(SWEEP_TARGET) if processes == PROCESSES else None,
    )


def _decisions_figure(options: MoneyOptions) -> Figure:
    return _figure(
        f"payouts by `decide_complaint`, one deposit, {_processes(PROCESSES)}",
        f"{options.payouts:,} complaints under review on one store (escalated by the sweep "
        "with their holds, taken by a reviewer; not timed), decided with their suggested award "
        f"paid from the deposit {_at_once(PROCESSES)}, half each; checked: each "
        "paid once with its disbursement, audit clean",
        rate_at_least(PAYOUT_TARGET),
    )


def _charges_figure(options: MoneyOptions) -> Figure:
    return _figure(
        f"payouts by the deadline charging lapsed pay-first complaints, one deposit, "
        f"{_processes(PROCESSES)}",
        f"{options.payouts:,} complaints on one store decided for the merchant to pay first "
        "(escalated, taken and decided through the services; not timed), then, once every "
        "other deadline of the scratch database is processed (not timed), "
        f"`process_due_complaints` at the end of their 72 hours {_at_once(PROCESSES)}: "
        "each deposit charged by `charge_deposits` in batches; checked: each paid once "
        "with its disbursement, one logged transition each, audit clean",
        rate_at_least(PAYOUT_TARGET),
    )


def _pay_out_many_figure(options: MoneyOptions) -> Figure:
    return _figure(
        f"payouts by `deposits.services.pay_out_many`, {BATCH} per call, one account, "
        f"{_processes(PROCESSES)}",
        f"{options.payout_calls:,} payouts of ¥1.00 (own reference and idempotency key each) "
        f"in calls of {BATCH} {_at_once(PROCESSES)}; checked: one entry and one "
        "disbursement each, audit clean",
        rate_at_least(PAYOUT_TARGET),
    )


def _pay_out_figure(options: MoneyOptions, processes: int) -> Figure:
    return _figure(
        f"payouts by `deposits.services.pay_out` alone, one account, {_processes(processes)}",
        f"{options.payout_calls:,} payouts of ¥1.00 (own reference and idempotency key each) "
        f"{_at_once(processes)}; checked: one entry and one disbursement "
        "each, audit clean",
        rate_at_least(PAYOUT_TARGET) if processes == PROCESSES else None,
    )


def _filing_figure(options: MoneyOptions) -> Figure:
    return _figure(
        "filing a complaint (`file_complaint`), one thread",
        f"{options.filings:,} new consumers with one completed order each (bulk-created, not "
        "timed); `file_complaint` on each order in one process, its notifications included; "
        "checked: one complaint per order",
        rate_at_least(FILING_TARGET),
    )


class MoneyBench:
    def __init__(self, options: MoneyOptions):
        self.options = options
        self.broker = Broker(options.broker_url)
        self.world = ScratchWorld(stores=options.sweep_stores)
        self._serial = 0
        _create_limit_row()
        self.limits = {
            (batch, processes): _limit_figure(options, batch, processes)
            for batch in (1, BATCH)
            for processes in (1, PROCESSES)
        }
        self.orm_floors = {s: _orm_floor_figure(options, s) for s in ORM_FLOORS}
        self.sweeps = {p: _sweep_figure(options, p) for p in (1, PROCESSES)}
        self.decisions = _decisions_figure(options)
        self.pay_outs = {p: _pay_out_figure(options, p) for p in (1, PROCESSES)}
        self.charges = _charges_figure(options)
        self.pay_out_batches = _pay_out_many_figure(options)
        self.filing = _filing_figure(options)
        self._warnings: dict[str, Counter] = {}
        self._queued: dict[str, list[int]] = {}

    def figures(self) -> list[Figure]:
        figures = [*self.limits.values(), *self.orm_floors.values()]
        figures += [*self.sweeps.values(), self.decisions]
        figures += [*self.pay_outs.values(), self.charges, self.pay_out_batches, self.filing]
        self._compare_with_limits()
        self._describe_side_effects(figures)
        return figures

    def run(self, runs: int) -> None:
        for run in range(runs):
            print(f"money figures: run {run + 1} of {runs}", file=sys.stderr)
            for (batch, processes), figure in self.limits.items():
                self._limit_rows(figure, batch, processes)
            for service, figure in self.orm_floors.items():
                self._orm_floor(figure, service)
            for processes, figure in self.sweeps.items():
                self._sweep(figure, processes)
            self._decisions()
            for processes, figure in self.pay_outs.items():
                self._pay_out(figure, processes, _pay_out_calls)
            self._charges()
            self._pay_out(self.pay_out_batches, PROCESSES, _pay_out_batches)
            self._filing()

    def _record(self, figure: Figure, count: int, outcome: Outcome, problems: list[str]) -> None:
        figure.values.append(count / outcome.wall)
        figure.problems += [problem for problem in problems if problem not in figure.problems]
        self._warnings.setdefault(figure.what, Counter()).update(outcome.warnings)

    def _queued_by(self, figure: Figure, action):
        """Run `action`, counting the tasks it queued to the broker. The rows it works on
        were built a moment ago: the planner first reads them as autovacuum would let it
        on a live database, or it plans lookups on tables it believes empty."""
        _analyze()
        before = self.broker.queued()
        result = action()
        self._queued.setdefault(figure.what, []).append(self.broker.queued() - before)
        return result

    def _limit_rows(self, figure: Figure, batch: int, processes: int) -> None:
        before = _limit_row_value()
        outcome = run_in_processes(
            _bump_limit_row, [(batch, self.options.limit_seconds)] * processes
        )
        done = sum(outcome.values)
        moved = _limit_row_value() - before
        problems = [] if moved == done else [f"the row moved {moved} for {done} updates"]
        self._record(figure, done, outcome, problems)

    def _orm_floor(self, figure: Figure, service: str) -> None:
        statements, processes = ORM_FLOORS[service]
        spec = (self.world.reviewer.pk, statements, self.options.limit_seconds)
        outcome = run_in_processes(_orm_reads, [spec] * processes)
        self._record(figure, sum(outcome.values), outcome, [])

    def _sweep(self, figure: Figure, processes: int) -> None:
        complaints = self.world.silent_complaints(self.options.sweep_complaints)
        now = timezone.now()
        outcome = self._queued_by(figure, lambda: run_in_processes(_sweep, [now] * processes))
        moved = sum(outcome.values)
        self._record(figure, moved, outcome, checks.escalated_once(complaints, moved))

    def _under_review(self, count: int):
        """Complaints escalated by the sweep and taken by the reviewer (not timed)."""
        complaints = self.world.silent_complaints(count, one_store=True)
        _sweep(timezone.now())
        for complaint in complaints:
            services.take_case(complaint=complaint, actor=self.world.reviewer)
        return complaints

    def _decisions(self) -> None:
        complaints = self._under_review(self.options.payouts)
        pks = [complaint.pk for complaint in complaints]
        outcome = self._queued_by(
            self.decisions,
            lambda: run_in_processes(
                _decide_all, _halves(pks, PROCESSES), prepare=_complaints_with_lines
            ),
        )
        self._record(self.decisions, len(pks), outcome, checks.paid_once(complaints))

    def _charges(self) -> None:
        complaints = self._under_review(self.options.payouts)
        _decide_pay_first(_complaints_with_lines([c.pk for c in complaints]))
        due = list(
            Complaint.objects.filter(pk__in=[c.pk for c in complaints]).values_list(
                "due_at", flat=True
            )
        )
        _sweep(min(due) - timedelta(seconds=1))
        outcome = self._queued_by(
            self.charges, lambda: run_in_processes(_sweep, [max(due)] * PROCESSES)
        )
        problems = checks.paid_once(complaints) + checks.transitioned_once(
            complaints, "charge_deposit"
        )
        self._record(self.charges, len(complaints), outcome, problems)

    def _pay_out(self, figure: Figure, processes: int, calls) -> None:
        self._serial += 1
        prefix = f"bench-payout-{self._serial}-"
        per_process = self.options.payout_calls // processes
        specs = [
            (self.world.account, self.world.payee, f"{prefix}{p}-", per_process)
            for p in range(processes)
        ]
        outcome = self._queued_by(figure, lambda: run_in_processes(calls, specs))
        calls = per_process * processes
        self._record(figure, calls, outcome, checks.paid_out_once(prefix, calls))

    def _filing(self) -> None:
        order_ids = [order.pk for order in self.world.orders(self.options.filings)]
        outcome = self._queued_by(
            self.filing,
            lambda: run_in_processes(_file_all, [order_ids], prepare=_orders_with_consumers),
        )
        self._record(
            self.filing, len(order_ids), outcome, checks.filed_once(order_ids, len(order_ids))
        )

    def _baselines(self) -> list[tuple[Figure, tuple[int, int] | None]]:
        """Each service figure and the one-row limit it is divided by: one step per
        commit, in as many processes as the figure ran in (none for a sweep spread over
        several stores, which is not bound by one row)."""
        one_store = self.options.sweep_stores == 1
        pairs = [(f, (1, p) if one_store else None) for p, f in self.sweeps.items()]
        pairs.append((self.decisions, (1, PROCESSES)))
        pairs += [(f, (1, p)) for p, f in self.pay_outs.items()]
        pairs += [(self.charges, (1, PROCESSES)), (self.pay_out_batches, (1, PROCESSES))]
        pairs.append((self.filing, (1, 1)))
        return pairs

    def _compare_with_limits(self) -> None:
        """Set each service figure beside the one-row limits measured in the same runs:
        its ratio, run by run, to the unbatched limit; the batched one for reference."""

        def limit(batch: int, processes: int) -> str:
            values = self.limits[batch, processes].values
            if not values:
                return ""
            return f"{median(values):,.0f}/s ({batch} per commit, {_processes(processes)})"

        for figure, key in self._baselines():
            figure.ratios.clear()
            if key is None:
                figure.limit = "— (spread over several stores)"
                continue
            baseline = self.limits[key].values
            figure.ratios += [v / b for v, b in zip(figure.values, baseline, strict=True) if b]
            figure.limit = limit(*key)
            if figure is not self.filing:
                figure.limit += f"; batched {limit(BATCH, key[1])}"
        floors = {
            "decision": [self.decisions],
            "payout": [self.pay_outs[PROCESSES]],
            "filing": [self.filing],
        }
        for service, figures in floors.items():
            values = self.orm_floors[service].values
            if not values:
                continue
            statements, processes = ORM_FLOORS[service]
            for figure in figures:
                figure.limit += (
                    f"; ORM floor {median(values):,.0f}/s ({statements} reads a "
                    f"transaction, {_processes(processes)})"
                )

    def _describe_side_effects(self, figures: list[Figure]) -> None:
        for figure in figures:
            if (queued := self._queued.get(figure.what)) and median(queued):
                tasks = median(queued)
                figure.notes.append(
                    f"{tasks:,.0f} Celery task{'s' if tasks != 1 else ''} queued per run "
                    "(median; e-mails, queued to the broker and not run)"
                )
            if warnings := self._warnings.get(figure.what):
                shown = "; ".join(f"{n}× {message}" for message, n in warnings.most_common(3))
                more = f" and {len(warnings) - 3} other messages" if len(warnings) > 3 else ""
                figure.notes.append(
                    f"{warnings.total()} warnings logged over all runs: {shown}{more}"
                )
