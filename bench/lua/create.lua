-- POST a new item as the bench user.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title": "Benchmark item", "description": "Created by wrk"}'
