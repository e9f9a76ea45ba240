-- GET the URL with the bench user's access token (BENCH_TOKEN) and a query parameter no
-- other request sends, cold=<BENCH_RUN>-<n> (the views ignore it): the response cache
-- can never serve the answer, which is computed from the database every time.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Accept"] = "application/json"
local prefix = wrk.path .. (wrk.path:find("?", 1, true) and "&" or "?") .. "cold=" .. os.getenv("BENCH_RUN") .. "-"
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format(nil, prefix .. counter)
end
