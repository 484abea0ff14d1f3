from decimal import Decimal

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import normalize_identifier

from .models import MONEY, STORE_FACTS, Merchant

ORDER_COLUMNS = (
    "order_number",
    "consumer",
    "consumer_name",
    "merchant_code",
    "item_title",
    "goods_amount",
    "postage",
    "refunded_amount",
    "paid_at",
    "ship_by",
    "shipped_at",
    "delivered_at",
    "completed_at",
)


class OrderRowForm(forms.Form):
    """One row of the marketplace's order export, validated before anything is written."""

    order_number = forms.RegexField(regex=r"^[A-Za-z0-9-]{4,40}$", label=_("order number"))
    consumer = forms.CharField(max_length=254, label=_("consumer"))
    consumer_name = forms.CharField(max_length=60, required=False, label=_("consumer name"))
    merchant_code = forms.CharField(max_length=40, label=_("store code"))
    item_title = forms.CharField(max_length=200, label=_("item"))
    goods_amount = forms.DecimalField(min_value=Decimal("0.01"), label=_("paid for goods"), **MONEY)
    postage = forms.DecimalField(min_value=0, required=False, label=_("postage"), **MONEY)
    refunded_amount = forms.DecimalField(
        min_value=0, required=False, label=_("already refunded"), **MONEY
    )
    paid_at = forms.DateTimeField(label=_("paid at"))
    ship_by = forms.DateTimeField(required=False, label=_("promised ship-by"))
    shipped_at = forms.DateTimeField(required=False, label=_("shipped at"))
    delivered_at = forms.DateTimeField(required=False, label=_("delivered at"))
    completed_at = forms.DateTimeField(required=False, label=_("completed at"))

    def clean_consumer(self):
        return normalize_identifier(self.cleaned_data["consumer"])

    def clean_merchant_code(self):
        code = self.cleaned_data["merchant_code"].strip()
        merchant = Merchant.objects.filter(code=code).first()
        if merchant is None:
            raise ValidationError(_("No store with code “%(code)s”."), params={"code": code})
        return merchant

    def clean(self):
        data = super().clean()
        for name in ("postage", "refunded_amount"):
            if data.get(name) is None:
                data[name] = Decimal("0.00")
        goods = data.get("goods_amount")
        if goods is not None and data["refunded_amount"] > goods:
            self.add_error(
                "refunded_amount", _("Refunds cannot exceed what was paid for the goods.")
            )
        paid = data.get("paid_at")
        shipped, delivered, completed = (
            data.get("shipped_at"),
            data.get("delivered_at"),
            data.get("completed_at"),
        )
        if paid:
            if shipped and shipped < paid:
                self.add_error("shipped_at", _("Shipped before it was paid."))
            if data.get("ship_by") and data["ship_by"] < paid:
                self.add_error("ship_by", _("Promised ship-by is before payment."))
            if completed and completed < paid:
                self.add_error("completed_at", _("Completed before it was paid."))
        if delivered and not shipped:
            self.add_error("delivered_at", _("Delivered but never shipped."))
        elif delivered and shipped and delivered < shipped:
            self.add_error("delivered_at", _("Delivered before it was shipped."))
        return data


def _fact_field(name: str, **kwargs) -> forms.Field:
    """The model's own form field for a store fact: its label, choices and help text."""
    return Merchant._meta.get_field(name).formfield(**kwargs)


class StoreFactsForm(forms.Form):
    """The facts that set a store's required deposit, and why they change."""

    store_type = _fact_field("store_type")
    mall_flagship = _fact_field("mall_flagship")
    trademark_type = _fact_field("trademark_type")
    categories = _fact_field("categories", widget=forms.CheckboxSelectMultiple)
    annual_sales = _fact_field("annual_sales", min_value=Decimal("0"))
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the facts change, e.g. the trademark certificate that was issued."),
    )

    @staticmethod
    def initial_for(merchant: Merchant) -> dict:
        initial = {name: getattr(merchant, name) for name in STORE_FACTS if name != "categories"}
        initial["categories"] = list(merchant.categories.values_list("pk", flat=True))
        return initial


# --- the owner's staff ------------------------------------------------------------------


class GrantsForm(forms.Form):
    """What a staff member may do, as the owner chooses it (merchants.models.StaffGrants)."""

    may_answer = forms.BooleanField(
        label=_("Answer complaints"),
        required=False,
        initial=True,
        help_text=_(
            "Refuse with a reason, write messages, add evidence, answer the platform's "
            "questions, respond to appeals and record payments."
        ),
    )
    offer_limit = forms.DecimalField(
        label=_("Make offers and accept claims up to (¥)"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=_(
            "Leave empty and this person can neither make offers nor accept claims. "
            "Needs “Answer complaints”."
        ),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **MONEY,
    )
    may_see_deposit = forms.BooleanField(
        label=_("See the deposit and its statement"),
        required=False,
        help_text=_("Balance, held, arrears, top-up notices and the downloadable statement."),
    )

    GRANT_FIELDS = ("may_answer", "offer_limit", "may_see_deposit")

    @classmethod
    def initial_for(cls, grants) -> dict:
        return {name: getattr(grants, name) for name in cls.GRANT_FIELDS}

    def grant_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.GRANT_FIELDS}


class InviteForm(GrantsForm):
    identifier = forms.CharField(
        label=_("E-mail or mobile number"),
        max_length=254,
        help_text=_(
            "Where the one-time link goes. Use the person's work address: a store login "
            "cannot be one they shop with."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    display_name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("Shown to your staff, and to consumers beside the store's name."),
    )

    field_order = ["identifier", "display_name", *GrantsForm.GRANT_FIELDS]

    def clean_identifier(self):
        return normalize_identifier(self.cleaned_data["identifier"])


class RemoveStaffForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Remove this person now: they lose access to the store at once."),
        error_messages={"required": _("Tick the box to confirm the removal.")},
    )


class JoinForm(SetPasswordForm):
    """A new staff account: the name shown for what they do, and the password."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        help_text=_("Shown to your colleagues, and to consumers beside the store's name."),
    )

    field_order = ["display_name", "new_password1", "new_password2"]
