-- wrk script for bench/api_bench.sh. With PREFIXES set (a file, one search prefix per line),
-- each request is GET /api/v1/contacts?q=PREFIX&limit=20, walking the prefixes; otherwise the
-- path given to wrk. Prints one machine-readable line at the end.
local prefixes = {}
local next_prefix = 1

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local file = os.getenv("PREFIXES")
  if file and file ~= "" then
    for line in io.lines(file) do prefixes[#prefixes + 1] = encode(line) end
    -- Threads start at different places, as the direct benchmark's connections do.
    next_prefix = (math.random(1, #prefixes))
  end
end

function request()
  if #prefixes == 0 then return wrk.format("GET") end
  local q = prefixes[next_prefix]
  next_prefix = next_prefix % #prefixes + 1
  return wrk.format("GET", "/api/v1/contacts?limit=20&q=" .. q)
end

function done(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read +
                 summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "http requests=%d per_s=%.0f p50_ms=%.2f p99_ms=%.2f failed=%d bytes_per_answer=%.0f\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed,
    summary.bytes / math.max(summary.requests, 1)))
end
