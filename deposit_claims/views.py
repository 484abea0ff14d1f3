from django.shortcuts import redirect, render

from accounts import roles


def home(request):
    """Send each role to its own place; a visitor sees what the platform is and how to start."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "home.html")
    names = roles.user_roles(user)
    if user.is_staff and (names & roles.PLATFORM_ROLES or user.is_superuser):
        return redirect("admin:index")
    if roles.MERCHANT_STAFF in names:
        return redirect("disputes:seller_overview")
    return redirect("disputes:consumer_orders")
