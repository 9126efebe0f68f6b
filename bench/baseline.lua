-- GET /health: the same server's cost of a trivial request, the baseline for the ratio.
dofile("bench/report.lua")

function done(summary, latency, requests)
  report(summary, latency)
end
