from accounts import roles


def store(request):
    """The merchant login's store, so every seller page can say when it is restricted, and
    their membership, so the pages offer only what the owner granted them."""
    if roles.MERCHANT_STAFF not in roles.user_roles(request.user):
        return {}
    # Seller views already loaded the membership with its store; reuse it.
    membership = getattr(request, "membership", None) or getattr(
        request.user, "merchant_membership", None
    )
    return {
        "store": membership.merchant if membership else None,
        "seller_membership": membership,
    }
