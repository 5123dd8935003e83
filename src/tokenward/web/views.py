"""The web pages' views: the start page and the profile (log in and out are Django's)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """Send people to their profile, or to the login page if they are not logged in."""
    return redirect("web:profile" if request.user.is_authenticated else "web:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show the logged-in account's details."""
    return render(request, "web/profile.html", {"account": request.user})
