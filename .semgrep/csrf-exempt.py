"""Cases for no-csrf-exempt: a marked line must be reported, an ok line must not."""

from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators import csrf

# ruleid: no-csrf-exempt
from django.views.decorators.csrf import csrf_exempt, csrf_protect


# ruleid: no-csrf-exempt
@csrf_exempt
def hook(request):
    return request


# ruleid: no-csrf-exempt
@method_decorator(csrf_exempt, name="dispatch")
class Hook(View):
    pass


# ruleid: no-csrf-exempt
wrapped = csrf.csrf_exempt(hook)
# ruleid: no-csrf-exempt
hook.csrf_exempt = True
# ruleid: no-csrf-exempt
setattr(hook, "csrf_exempt", True)  # noqa: B010  (the case under test)


# ok: no-csrf-exempt
@csrf_protect
def form(request):
    return request
