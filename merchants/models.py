import hashlib
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from deposit_claims.templatetags.ui import money

MONEY = {"max_digits": 14, "decimal_places": 2}

# Without a promise on the order, a merchant must ship within 48 hours of payment.
DEFAULT_SHIPPING_WINDOW = timedelta(hours=48)


class Category(models.Model):
    class DepositGroup(models.TextChoices):
        GENERAL = "general", _("General merchandise")
        BOOKS_AV = "books_av", _("Books and audio-video")
        SERVICES = "services", _("Services, e-tickets, games, top-up and travel")
        MEDICAL = "medical", _("OTC drugs, medical devices and health services")
        CARS = "cars", _("New and used cars")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    deposit_group = models.CharField(
        _("deposit group"),
        max_length=20,
        choices=DepositGroup.choices,
        default=DepositGroup.GENERAL,
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name


class Merchant(models.Model):
    class StoreType(models.TextChoices):
        FLAGSHIP = "flagship", _("Flagship store")
        SPECIALTY = "specialty", _("Specialty store")
        FRANCHISE = "franchise", _("Franchise store")

    class TrademarkType(models.TextChoices):
        REGISTERED = "R", _("All brands registered (R)")
        APPLIED = "TM", _("A brand only applied for (TM)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RESTRICTED = "restricted", _("Restricted")
        CLOSING = "closing", _("Closing")
        CLOSED = "closed", pgettext_lazy("store status", "Closed")
        REMOVED = "removed", _("Removed")

    code = models.SlugField(
        _("store code"), max_length=40, unique=True, help_text=_("The marketplace's store id.")
    )
    name = models.CharField(_("store name"), max_length=100)
    company = models.CharField(_("company"), max_length=150)
    store_type = models.CharField(_("store type"), max_length=20, choices=StoreType.choices)
    mall_flagship = models.BooleanField(
        _("mall-type flagship store"),
        default=False,
        help_text=_("A flagship store selling several brands (卖场型旗舰店)."),
    )
    trademark_type = models.CharField(
        _("trademark type"), max_length=2, choices=TrademarkType.choices
    )
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), blank=True)
    annual_sales = models.DecimalField(_("annual sales"), default=Decimal("0.00"), **MONEY)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]
        permissions = [
            ("change_store_facts", _("Can change the store facts that set the required deposit")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_sales__gte=0), name="merchant_annual_sales_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(mall_flagship=False) | Q(store_type="flagship"),
                name="merchant_mall_flagship_is_flagship",
            ),
        ]

    def __str__(self):
        return self.name


# The facts of a store that its required deposit depends on; they change only through
# merchants.services.change_store_facts, which records each change as a StoreFactChange.
STORE_FACTS = ("store_type", "mall_flagship", "trademark_type", "categories", "annual_sales")


class StoreFactChangeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Store fact changes are append-only: record a new change instead.")

    def delete(self):
        raise TypeError("Store fact changes are append-only: record a new change instead.")


class StoreFactChange(models.Model):
    """Who changed which store facts, when and why; never edited, never deleted.

    `before` and `after` hold only the facts that changed: categories as their sorted
    codes, annual sales as a string (JSON has no decimals).
    """

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="fact_changes",
        verbose_name=_("merchant"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    reason = models.TextField(_("why it changed"))
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))

    objects = StoreFactChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("store fact change")
        verbose_name_plural = _("store fact changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "-changed_at"], name="store_fact_change_merchant"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="store_fact_change_has_reason"),
        ]

    def __str__(self):
        return f"{self.merchant} · {timezone.localtime(self.changed_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Store fact changes are append-only: record a new change instead.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Store fact changes are append-only: record a new change instead.")


class StaffGrants(models.Model):
    """What the owner lets one staff member do beyond reading the store's complaints and
    orders. The owner may do everything whatever these say."""

    may_answer = models.BooleanField(
        _("may answer complaints"),
        default=True,
        help_text=_(
            "Refuse, write messages, add evidence, answer the platform, respond to appeals "
            "and record payments."
        ),
    )
    offer_limit = models.DecimalField(
        _("may settle up to"),
        null=True,
        blank=True,
        help_text=_(
            "Make offers and accept claims up to this amount. Empty: no offers or acceptances."
        ),
        **MONEY,
    )
    may_see_deposit = models.BooleanField(_("may see the deposit and statement"), default=False)

    class Meta:
        abstract = True

    # Grants are given to staff; a membership says otherwise for its owner.
    is_owner = False

    def grant_summary(self) -> list[str]:
        """What these grants allow, one line each, in the active language."""
        if self.is_owner:
            return [str(_("Everything, including managing the staff"))]
        lines = [str(_("Read the store's complaints and orders"))]
        if self.may_answer:
            lines.append(
                str(_("Answer complaints, messages, evidence and the platform's questions"))
            )
        if self.may_answer and self.offer_limit is not None:
            lines.append(
                str(_("Make offers and accept claims up to %(limit)s"))
                % {"limit": money(self.offer_limit)}
            )
        if self.may_see_deposit:
            lines.append(str(_("See the deposit and its statement")))
        return lines


def grants_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(offer_limit__isnull=True) | Q(offer_limit__gt=0),
            name=f"{prefix}_offer_limit_positive",
        ),
        # Settling is answering with money: a limit without the right to answer means nothing.
        models.CheckConstraint(
            condition=Q(offer_limit__isnull=True) | Q(may_answer=True),
            name=f"{prefix}_offer_limit_needs_answering",
        ),
    ]


class MerchantMemberQuerySet(models.QuerySet):
    def seeing_deposit(self):
        """The members who may read the deposit's figures: the owner and staff granted it."""
        return self.filter(Q(role=MerchantMember.Role.OWNER) | Q(may_see_deposit=True))


class MerchantMember(StaffGrants):
    """A login that works for one store; the owner manages the store's staff and what each
    of them may do."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="merchant_membership",
        verbose_name=_("user"),
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="members", verbose_name=_("merchant")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    objects = MerchantMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("merchant member")
        verbose_name_plural = _("merchant members")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"], condition=Q(role="owner"), name="merchant_single_owner"
            ),
            *grants_constraints("merchant_member"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.merchant} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def can_answer(self) -> bool:
        return self.is_owner or self.may_answer

    @property
    def can_settle(self) -> bool:
        """Whether this member may make offers or accept claims at all."""
        return self.is_owner or (self.may_answer and self.offer_limit is not None)

    def may_settle(self, amount: Decimal) -> bool:
        return self.is_owner or (self.can_settle and amount <= self.offer_limit)

    @property
    def can_see_deposit(self) -> bool:
        return self.is_owner or self.may_see_deposit

    def check_may_answer(self) -> None:
        if not self.can_answer:
            raise ValidationError(
                _("Your store owner has not allowed you to answer complaints."),
                code="not_granted",
            )

    def check_may_settle(self, amount: Decimal) -> None:
        """Refuse, saying why, an offer or acceptance of `amount` beyond this member's grant."""
        self.check_may_answer()
        if not self.can_settle:
            raise ValidationError(
                _("Your store owner has not allowed you to make offers or accept claims."),
                code="not_granted",
            )
        if not self.may_settle(amount):
            raise ValidationError(
                _(
                    "You may settle complaints up to %(limit)s; %(amount)s is above it. "
                    "Ask your store owner."
                ),
                code="above_limit",
                params={"limit": money(self.offer_limit), "amount": money(amount)},
            )


# An invitation link works this long, once.
INVITATION_LIFETIME = timedelta(days=7)


class StaffInvitation(StaffGrants):
    """The owner's invitation to one e-mail address or mobile number to join the store's
    staff with the grants chosen here; its one-time link is known only by its digest."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("merchant")
    )
    identifier = models.CharField(_("e-mail or mobile number"), max_length=254)
    display_name = models.CharField(_("name"), max_length=60)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Inviting an address again withdraws its earlier invitation first.
            models.UniqueConstraint(
                fields=["merchant", "identifier"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="staff_invitation_one_open",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="staff_invitation_accepted_or_withdrawn",
            ),
            *grants_constraints("staff_invitation"),
        ]

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        EXPIRED = "expired", _("Expired")
        ACCEPTED = "accepted", _("Accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    def __str__(self):
        return f"{self.identifier} → {self.merchant}"

    @staticmethod
    def digest(token: str) -> str:
        """What is kept of a link's token: its SHA-256, so the table cannot be used to join."""
        return hashlib.sha256(token.encode()).hexdigest()

    def status_at(self, now) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.WITHDRAWN
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def get_status_display(self) -> str:
        return self.Status(self.status).label


class Order(models.Model):
    """An order as the marketplace's order system reports it; imported, never edited here."""

    order_number = models.CharField(_("order number"), max_length=40, unique=True)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("consumer"),
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="orders", verbose_name=_("merchant")
    )
    item_title = models.CharField(_("item"), max_length=200)
    goods_amount = models.DecimalField(
        _("paid for goods"), help_text=_("What the consumer paid, excluding postage."), **MONEY
    )
    postage = models.DecimalField(_("postage"), default=Decimal("0.00"), **MONEY)
    refunded_amount = models.DecimalField(_("already refunded"), default=Decimal("0.00"), **MONEY)
    paid_at = models.DateTimeField(_("paid at"))
    ship_by = models.DateTimeField(
        _("promised ship-by"), null=True, blank=True, help_text=_("Empty: 48 hours after payment.")
    )
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-paid_at", "-id"]
        indexes = [
            models.Index(fields=["consumer", "-paid_at"], name="order_consumer_paid"),
            models.Index(fields=["merchant", "-paid_at"], name="order_merchant_paid"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(goods_amount__gt=0), name="order_goods_positive"),
            models.CheckConstraint(condition=Q(postage__gte=0), name="order_postage_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("goods_amount")),
                name="order_refunds_within_goods",
            ),
            models.CheckConstraint(
                condition=Q(shipped_at__isnull=True) | Q(shipped_at__gte=F("paid_at")),
                name="order_shipped_after_paid",
            ),
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True)
                | (Q(shipped_at__isnull=False) & Q(delivered_at__gte=F("shipped_at"))),
                name="order_delivered_after_shipped",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(completed_at__gte=F("paid_at")),
                name="order_completed_after_paid",
            ),
        ]

    def __str__(self):
        return self.order_number

    @property
    def ship_deadline(self):
        return self.ship_by or self.paid_at + DEFAULT_SHIPPING_WINDOW

    @property
    def total_paid(self) -> Decimal:
        return self.goods_amount + self.postage

    class Condition(models.TextChoices):
        AWAITING_SHIPMENT = "awaiting_shipment", _("Awaiting shipment")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")

    @property
    def condition(self) -> str:
        if self.completed_at:
            return self.Condition.COMPLETED
        if self.delivered_at:
            return self.Condition.DELIVERED
        if self.shipped_at:
            return self.Condition.SHIPPED
        return self.Condition.AWAITING_SHIPMENT

    def get_condition_display(self) -> str:
        return self.Condition(self.condition).label
