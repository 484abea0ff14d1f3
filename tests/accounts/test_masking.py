import pytest

from accounts.masking import mask_identifier, mask_name


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧**"), ("李", "李*"), ("", "*")]
)
def test_merchants_see_only_the_first_character_of_a_name(name, masked):
    assert mask_name(name) == masked


def test_phone_numbers_and_emails_are_masked():
    assert mask_identifier("13812341234") == "138****1234"
    assert mask_identifier("alice@example.com") == "a***@example.com"
