"""A data set at marketplace scale, written fast: ``python manage.py generate_load_data``.

How the rows are made, so that each is what the services would have written:

- People and stores are plain rows; every login gets one password hash, computed once.
- Each complaint is a *story* (story.py, with its steps in filing.py, negotiation.py,
  review.py and appeals.py, and its possible ends in endings.py): a path through the state
  machine told with a seeded ``random.Random`` of its own. Each step runs the body of the
  ``Complaint`` transition itself (unwrapped from django-fsm: no signal, no query) on an
  unsaved instance, does what the service does around it (offers, information requests,
  decisions, evidence, notifications, the ledger operations to post) and records the
  ``StateLog`` row that django-fsm-log would have written. Deadline steps (a silent
  merchant, a lapse, a late decision...) happen just after their deadline, as the deadline
  processor would; a person's step always comes before the deadline of the stage (the
  transitions' conditions on time, which the unwrapped bodies do not check, are checked).
- A complaint that is still open must be inside its current stage at ``now``, or the
  deadline processor would already have moved it on, and nothing may fall due in the
  hour after (``QUIET``). Its story is told from a guessed filing time; when it does not
  fit, it is told again from a filing time that does: the same random draws, so the same
  story, moved in time. A story that fits nowhere gives way to another draw.
- Complaints never share a cap: one complaint per order, and a consumer's late-shipping
  orders with one store are never paid within 24 h of each other.
- Each store's ledger is then replayed in time order as ``deposits.services`` posts it
  (deposit.py): the opening pay-in, holds capped at what is available, releases, payouts
  (the hold, then the free balance, then the platform's advance; the counterfeit multiple
  capped), reimbursements, and the top-ups that follow a payout leaving the deposit short.
- Rows go to PostgreSQL with COPY (``bulk_create`` elsewhere) with explicit ids, in one
  transaction for the whole run, from a thread that writes one group of stores while the
  next is made (writing.py). A large run drops the indexes first and builds them at the
  end; sequences are reset and the tables analysed after the commit.
"""

from .base import LoadDataError
from .run import generate
from .world import Names, Sizes

__all__ = ["LoadDataError", "Names", "Sizes", "generate"]
