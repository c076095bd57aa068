-- Constant-rate load for Debian's wrk, in the manner of wrk2 (which Debian does not package).
--
-- Plain wrk sends the next request on a connection as soon as the previous answer arrives, so a slow
-- server is simply sent less and its latency looks better than users would see it ("coordinated
-- omission"). Here every connection (run with -t N -c N: one connection per wrk thread) has a fixed
-- send schedule, evenly staggered against the others; a request that could not be sent on time because
-- the previous one was still waiting is sent as soon as possible, and every latency is counted from the
-- time the request was *scheduled*, not from when it went out. done() prints one line:
--   SCHEDULED n=... errors=... p50=... p90=... p99=... max=...   (milliseconds)
--
-- Arguments after "--": the gap between sends on one connection (ms) and the number of connections.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } vigil_timespec;
int clock_gettime(int clk_id, vigil_timespec *tp);
]]
local ts = ffi.new("vigil_timespec")
local CLOCK_MONOTONIC = 1

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local gap, start, sent, scheduled
latencies = {}
errors = 0

function init(args)
  gap = tonumber(args[1])
  local connections = tonumber(args[2])
  start = now_ms() + gap * id / connections
  sent = 0
  scheduled = start
end

function delay()
  scheduled = start + sent * gap
  sent = sent + 1
  local wait = scheduled - now_ms()
  if wait <= 0 then
    return 0
  end
  return math.ceil(wait) -- never early: the timer has millisecond steps
end

function response(status, headers, body)
  latencies[#latencies + 1] = now_ms() - scheduled
  if status < 200 or status > 399 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local all, failed = {}, 0
  for _, thread in ipairs(threads) do
    for _, value in ipairs(thread:get("latencies")) do
      all[#all + 1] = value
    end
    failed = failed + thread:get("errors")
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then
      return 0 / 0
    end
    return all[math.min(#all, math.floor(p / 100 * #all) + 1)]
  end
  io.write(string.format("SCHEDULED n=%d errors=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f\n",
    #all, failed, pct(50), pct(90), pct(99), all[#all] or 0 / 0))
end
