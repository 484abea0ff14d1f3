"""A sweep batch's notices link to each complaint as reverse() would, reversed once a batch."""

import pytest
from django.urls import reverse

from disputes.services._common import _link_by_number, _notices_to_both_of_each
from tests.factories import ComplaintFactory, MerchantMemberFactory

NUMBERS = ["TS20261129000001", "ts-1_2.3~", "投诉 7", "a%b?c#d&e=f+g", "x:y@z!$'()*,;"]


@pytest.mark.parametrize("url_name", ["disputes:complaint", "disputes:seller_complaint"])
@pytest.mark.parametrize("number", NUMBERS)
def test_a_link_by_number_is_the_reversed_link(url_name, number):
    assert _link_by_number(url_name)(number) == reverse(url_name, kwargs={"number": number})


@pytest.mark.django_db
def test_each_complaint_of_a_batch_tells_each_party_with_their_own_link():
    complaints = ComplaintFactory.create_batch(3)
    staff = {c.merchant_id: [MerchantMemberFactory(merchant=c.merchant).user] for c in complaints}

    notices = _notices_to_both_of_each(complaints, "escalated_silent", staff, held="¥1.00")

    assert [(n.complaint, n.users, n.url, n.params) for n in notices] == [
        pair
        for c in complaints
        for pair in (
            (c, [c.consumer], reverse("disputes:complaint", args=[c.number]), {"held": "¥1.00"}),
            (
                c,
                staff[c.merchant_id],
                reverse("disputes:seller_complaint", args=[c.number]),
                {"held": "¥1.00"},
            ),
        )
    ]
