from io import BytesIO

import django_otp
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as switch_language
from django_otp.qr import write_qrcode_image

from common.languages import set_language_cookie

from . import services, throttle, two_factor
from .forms import EnrolmentForm, IdentifierForm, LoginForm, SecondFactorForm, SignUpForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        """A person who chose a language finds the pages in it on any device they log in on."""
        response = super().form_valid(form)
        language = form.get_user().language
        if language:
            set_language_cookie(response, language)
        return response


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
    # Whoever just proved they hold the address is logged in, not sent to log in again.
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.IdentifierBackend"
    success_url = reverse_lazy("home")

    def post(self, request, *args, **kwargs):
        if self.validlink and throttle.too_many_from_address(request, "accounts:set-password"):
            return _too_many(request, self.template_name, self.get_form(), validlink=True)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set; you are logged in."))
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
            user = services.create_account_from_link(
                token=token,
                password=form.cleaned_data["new_password1"],
                language=translation.get_language(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="accounts.backends.IdentifierBackend")
            messages.success(request, _("Your password is set; you are logged in."))
            return redirect("home")
    return render(request, "accounts/set_password.html", {"validlink": True, "form": form})


def _console_next(request) -> str:
    """Where a console user goes once past the second factor: back where they were headed,
    if that is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _passed(request, device) -> None:
    # A new session key for the stronger session, as at any login.
    request.session.cycle_key()
    django_otp.login(request, device)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """The second factor of a console login; at the first, enrolling the authenticator app."""
    user = request.user
    if not user.is_staff:
        return redirect("home")
    if user.is_verified():
        return redirect(_console_next(request))
    if two_factor.confirmed_app(user) is None:
        return _enrol(request)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _passed(request, device)
            return redirect(_console_next(request))
    return render(
        request, "accounts/two_factor.html", {"form": form, "next": _console_next(request)}
    )


def _enrol(request):
    user = request.user
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.confirm_app(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _passed(request, device)
            # Shown once, in this answer, and kept nowhere else in the clear but the
            # recovery codes' own table.
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "enrolled": True, "next": _console_next(request)},
            )
    device = two_factor.enrolment_app(user)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "secret": two_factor.secret_for_typing(device),
            "next": _console_next(request),
        },
    )


@never_cache
@login_required
def two_factor_qr(request):
    """The enrolment's QR code, for the app to scan; only while enrolling."""
    user = request.user
    if not user.is_staff or two_factor.confirmed_app(user) is not None:
        raise Http404
    image = BytesIO()
    write_qrcode_image(two_factor.enrolment_app(user).config_url, image)
    return HttpResponse(image.getvalue(), content_type="image/svg+xml")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """A console user's recovery codes: how many are left, and a new set on request."""
    user = request.user
    if not user.is_staff:
        raise Http404
    if request.method == "POST":
        codes = two_factor.new_recovery_codes(user=user)
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next": reverse("admin:index")},
        )
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes_left": two_factor.recovery_codes_left(user), "next": reverse("admin:index")},
    )


@require_POST
def set_language(request):
    """Django's language switch, and for a logged-in person the language of their messages."""
    response = switch_language(request)
    if request.user.is_authenticated:
        services.remember_language(user=request.user, language=request.POST.get("language", ""))
    return response
