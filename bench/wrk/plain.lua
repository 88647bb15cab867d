-- wrk script: a plain GET of the URL (e.g. /healthz, the ceiling of the machine), reporting like lookup.lua:
--   RESULT requests=.. rps=.. p50_ms=.. p99_ms=.. errors=.. non2xx=..

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")
