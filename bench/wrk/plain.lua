-- wrk script: a plain GET of the URL (e.g. /healthz, the ceiling of the machine), reporting like lookup.lua:
--   RESULT requests=.. rps=.. p50_ms=.. p99_ms=.. errors=.. non2xx=..

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, e.status))
end
