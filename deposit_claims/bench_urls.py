"""The app's URLs plus the benchmark harness's baselines.

Only scripts/bench.py serves this URLconf, selecting it with
`DJANGO_ROOT_URLCONF=deposit_claims.bench_urls`; `deposit_claims.urls` never routes them.
"""

from django.urls import include, path

from . import bench_views

urlpatterns = [
    path("__bench__/ok", bench_views.ok, name="bench_ok"),
    path("__bench__/page", bench_views.page, name="bench_page"),
    path("", include("deposit_claims.urls")),
]
