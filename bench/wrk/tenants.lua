-- wrk script: Entra's user look-up spread over many organisations, each request with its own organisation's
-- token: `GET /scim/v2/orgs/{org}/Users?filter=userName eq "{prefix}{i}@contoso.com"`, a pseudo-random
-- organisation of FILE (lines `org token`) and i in 0..N-1.
--
--   wrk -t2 -c16 -d10s -s bench/wrk/tenants.lua http://127.0.0.1:18480 -- FILE N PREFIX
--
-- At the end it prints one line for bench/run:
--   RESULT requests=.. rps=.. p50_ms=.. p99_ms=.. errors=.. non2xx=..

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")
local requests = {}
common.precomputed(requests)

function init(args)
  local file, n, prefix = args[1], tonumber(args[2]), args[3] or "user"
  if not file or not n or n < 1 then
    error("usage: wrk ... -s tenants.lua URL -- FILE N PREFIX")
  end
  local tenants = {}
  for line in io.lines(file) do
    local org, token = line:match("^(%S+)%s+(%S+)$")
    if org then table.insert(tenants, { org = org, token = token }) end
  end
  if #tenants == 0 then error("tenants.lua: no `org token` line in " .. file) end
  math.randomseed(7919 * (id + 1))
  for k = 1, 8192 do
    local t = tenants[math.random(1, #tenants)]
    local filter = 'userName eq "' .. prefix .. math.random(0, n - 1) .. '@contoso.com"'
    requests[k] = wrk.format("GET", "/scim/v2/orgs/" .. t.org .. "/Users?filter=" .. common.encode(filter),
      { ["Authorization"] = "Bearer " .. t.token })
  end
end
