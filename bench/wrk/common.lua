-- Shared by the wrk scripts here, each loading it from its own directory:
--   local wrk_common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

local M = {}

-- Percent-encodes `s` for a query string.
function M.encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- Installs wrk's `setup` (each thread gets its number as `id`, to seed its own pseudo-random spread) and
-- `request` (the next of `requests`, which the script's `init` fills with whole requests made by wrk.format:
-- the client, which shares the machine's cores with the server, spends per request no more than a table
-- look-up in Lua).
function M.precomputed(requests)
  local counter = 0
  setup = function(thread)
    thread:set("id", counter)
    counter = counter + 1
  end
  local next_request = 1
  request = function()
    local r = requests[next_request]
    next_request = next_request % #requests + 1
    return r
  end
end

-- wrk's `done`: one line for bench/run,
--   RESULT requests=.. rps=.. p50_ms=.. p99_ms=.. errors=.. non2xx=..
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, e.status))
end

return M
