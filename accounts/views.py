from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import services, throttle
from .forms import IdentifierForm, LoginForm, SignUpForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _request_link(request, *, form_class, create: bool, template: str):
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if throttle.too_many_from_address(request, "accounts:links"):
            return _too_many(request, template, form)
        identifier = form.cleaned_data["identifier"]
        # Past its limit an address gets nothing more, yet the same answer as ever, which
        # says nothing about whether an account exists.
        if not throttle.too_many_to(request, identifier):
            services.request_account_link(
                identifier=identifier,
                display_name=form.cleaned_data.get("display_name", ""),
                base_url=request.build_absolute_uri("/").rstrip("/"),
                create=create,
            )
        request.session["link_sent_to"] = identifier
        return redirect("accounts:link_sent")
    return render(request, template, {"form": form})


def _too_many(request, template: str, form, **context):
    """The form again, saying why nothing happened; nothing was sent or changed."""
    form.add_error(None, _("Too many requests from your network. Try again in an hour."))
    return render(request, template, {"form": form, **context}, status=429)


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    return _request_link(
        request, form_class=SignUpForm, create=True, template="accounts/signup.html"
    )


@require_http_methods(["GET", "POST"])
def password_reset(request):
    return _request_link(
        request, form_class=IdentifierForm, create=False, template="accounts/password_reset.html"
    )


def link_sent(request):
    return render(
        request, "accounts/link_sent.html", {"sent_to": request.session.get("link_sent_to")}
    )


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("accounts:login")

    def post(self, request, *args, **kwargs):
        if self.validlink and throttle.too_many_from_address(request, "accounts:set-password"):
            return _too_many(request, self.template_name, self.get_form(), validlink=True)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Log in with it now."))
        return response


@never_cache
@require_http_methods(["GET", "POST"])
def create_account(request, token):
    """A sign-up link used: the account is made now, with the password chosen here."""
    account_request = services.read_create_link(token)
    if account_request is None:
        return render(request, "accounts/set_password.html", {"validlink": False})
    # The would-be account, unsaved, so the password validators can compare against it.
    user = get_user_model()(
        username=account_request.username, display_name=account_request.display_name
    )
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and throttle.too_many_from_address(
        request, "accounts:set-password"
    ):
        return _too_many(request, "accounts/set_password.html", form, validlink=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_account_from_link(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your password is set. Log in with it now."))
            return redirect("accounts:login")
    return render(request, "accounts/set_password.html", {"validlink": True, "form": form})
