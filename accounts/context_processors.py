from . import roles


def roles_context(request):
    names = roles.user_roles(request.user)
    return {
        "is_consumer": roles.CONSUMERS in names,
        "is_merchant_staff": roles.MERCHANT_STAFF in names,
        "is_platform_staff": bool(names & roles.PLATFORM_ROLES) and request.user.is_staff,
    }
