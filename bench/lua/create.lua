-- POST a new item as the user of BENCH_TOKEN (the bench writer, whose items no list reads);
-- with BENCH_LIVE_UPDATES=off, asking for no live update of it (bench.live_updates).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_LIVE_UPDATES") == "off" then
  wrk.headers["X-Bench-Live-Updates"] = "off"
end
wrk.body = '{"title": "Benchmark item", "description": "Created by wrk"}'
