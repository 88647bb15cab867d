-- wrk script: Entra's user lookup, `GET <url>?filter=userName eq "{prefix}{i}@contoso.com"`, over the N users
-- that `loadgen seed` / `loadgen cycle` made (i in 0..N-1, a fixed pseudo-random spread per thread).
--
--   wrk -t2 -c16 -d10s -s bench/wrk/lookup.lua http://127.0.0.1:18480/scim/v2/orgs/bench/Users -- N PREFIX TOKEN
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
  local n = tonumber(args[1])
  local prefix = args[2] or "user"
  local token = args[3]
  if not n or n < 1 or not token then
    error("usage: wrk ... -s lookup.lua URL -- N PREFIX TOKEN")
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  -- Whole requests precomputed (wrk.format once each, here), so that the client, which shares the machine's
  -- two cores with the server, spends per request no more than a table look-up in Lua.
  math.randomseed(7919 * (id + 1))
  for k = 1, 4096 do
    local i = math.random(0, n - 1)
    local filter = 'userName eq "' .. prefix .. i .. '@contoso.com"'
    requests[k] = wrk.format("GET", wrk.path .. "?filter=" .. encode(filter))
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
