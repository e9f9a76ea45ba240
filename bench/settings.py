"""Production settings plus the benchmark's floor views (never part of the product)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

from config.settings.env import env  # noqa: E402

# The seeded bench user whose items the floor views read, and the one their creates own.
BENCH_USER_ID = env.str("BENCH_USER_ID", default="")
BENCH_WRITER_ID = env.str("BENCH_WRITER_ID", default="")

# item create (live updates off): the create with X-Bench-Live-Updates: off publishes no
# event (bench.live_updates).
MIDDLEWARE = [*MIDDLEWARE, "bench.live_updates.LiveUpdatesSwitch"]  # noqa: F405
