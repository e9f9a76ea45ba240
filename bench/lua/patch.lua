-- PATCH the bench user's items in turn (ids in the file BENCH_IDS), flipping completion.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local counter = 0
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  ["Content-Type"] = "application/json",
}

request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = (counter % 2 == 0) and '{"is_completed": true}' or '{"is_completed": false}'
  return wrk.format("PATCH", "/api/v1/items/" .. id .. "/", headers, body)
end
