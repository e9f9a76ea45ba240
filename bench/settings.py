"""Production settings plus the benchmark's floor views (never part of the product)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

from config.settings.env import env  # noqa: E402

# The seeded bench user whose items the floor views read.
BENCH_USER_ID = env.str("BENCH_USER_ID", default="")
