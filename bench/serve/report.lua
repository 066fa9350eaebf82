-- report.lua - appended to every wrk script of the serve benchmark: prints
-- one machine-readable line that run.sh parses (wrk's own summary is kept
-- in the log for people).
--   BENCH requests=N seconds=S rps=R p50_us=A p99_us=B bad_status=C
--         socket_errors=D wraps=W

function done(summary, latency, requests)
   local e = summary.errors
   local wraps = 0
   for _, t in ipairs(bench_threads or {}) do
      wraps = wraps + (tonumber(t:get("wraps")) or 0)
   end
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d " ..
      "bad_status=%d socket_errors=%d wraps=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50), latency:percentile(99), e.status,
      e.connect + e.read + e.write + e.timeout, wraps))
end
