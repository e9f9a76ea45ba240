-- POST a fresh refresh token each time (one per line in the file BENCH_TOKENS):
-- a refresh token works once, so reusing one would measure the 401 path instead.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local counter = 0
local headers = {["Content-Type"] = "application/json"}

request = function()
  counter = counter + 1
  local token = tokens[counter] or tokens[#tokens]
  return wrk.format("POST", "/api/v1/auth/token/refresh/", headers, '{"refresh": "' .. token .. '"}')
end
