-- POST a new item as the user of BENCH_TOKEN (the bench writer, whose items no list reads).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title": "Benchmark item", "description": "Created by wrk"}'
