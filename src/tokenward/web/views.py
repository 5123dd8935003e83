"""The web pages' views."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:profile" if request.user.is_authenticated else "web:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "web/profile.html", {"account": request.user})
