-- wrk script: Entra's user lookup, `GET <url>?filter=userName eq "{prefix}{i}@contoso.com"`, over the N users
-- that `loadgen seed` / `loadgen cycle` made (i in 0..N-1, a fixed pseudo-random spread per thread).
--
--   wrk -t2 -c16 -d10s -s bench/wrk/lookup.lua http://127.0.0.1:18480/scim/v2/orgs/bench/Users -- N PREFIX TOKEN
--
-- At the end it prints one line for bench/run:
--   RESULT requests=.. rps=.. p50_ms=.. p99_ms=.. errors=.. non2xx=..

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")
local requests = {}
common.precomputed(requests)

function init(args)
  local n = tonumber(args[1])
  local prefix = args[2] or "user"
  local token = args[3]
  if not n or n < 1 or not token then
    error("usage: wrk ... -s lookup.lua URL -- N PREFIX TOKEN")
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  math.randomseed(7919 * (id + 1))
  for k = 1, 4096 do
    local i = math.random(0, n - 1)
    local filter = 'userName eq "' .. prefix .. i .. '@contoso.com"'
    requests[k] = wrk.format("GET", wrk.path .. "?filter=" .. common.encode(filter))
  end
end
