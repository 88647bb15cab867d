-- wrk script: Entra's user look-up spread over many organisations, each request with its own organisation's
-- token: `GET /scim/v2/orgs/{org}/Users?filter=userName eq "{prefix}{i}@contoso.com"`, a pseudo-random
-- organisation of FILE (lines `org token`) and i in 0..N-1.
--
--   wrk -t2 -c16 -d10s -s bench/wrk/tenants.lua http://127.0.0.1:18480 -- FILE N PREFIX
--
-- At the end it prints one line for bench/run:
--   RESULT requests=.. rps=.. p50_ms=.. p99_ms=.. errors=.. non2xx=..

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local next_request = 1

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

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
  -- Whole requests precomputed, as in lookup.lua: per request the client only takes the next one.
  math.randomseed(7919 * (id + 1))
  for k = 1, 8192 do
    local t = tenants[math.random(1, #tenants)]
    local filter = 'userName eq "' .. prefix .. math.random(0, n - 1) .. '@contoso.com"'
    requests[k] = wrk.format("GET", "/scim/v2/orgs/" .. t.org .. "/Users?filter=" .. encode(filter),
      { ["Authorization"] = "Bearer " .. t.token })
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, e.status))
end
