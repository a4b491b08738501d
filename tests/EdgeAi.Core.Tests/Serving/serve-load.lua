-- wrk's script for ServeLoadTests: Open Inference Protocol infer requests, one real image each, and every answer kept.
-- wrk -s serve-load.lua URL -- OUTDIR TOKEN IMAGES PATH
--   IMAGES: one image a line, its 784 pixels (0-255) comma-separated; image i is line i+1.
--   Each thread writes OUTDIR/responses-T.txt, a line per answer: "MILLISECONDS STATUS BODY" (the wall clock when the
--   answer was read, Unix epoch); wrk's main thread writes OUTDIR/summary.txt after the run.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } edgeai_timespec;
  int clock_gettime(int clock, edgeai_timespec *t);
]]
local now = ffi.new("edgeai_timespec")
local function milliseconds()
  ffi.C.clock_gettime(0, now)   -- CLOCK_REALTIME: the clock the test's DateTime.UtcNow reads
  return tonumber(now.tv_sec) * 1000 + math.floor(tonumber(now.tv_nsec) / 1000000)
end

local threads, next_id = {}, 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local out, images, path, headers, sent = nil, {}, nil, nil, 0
non2xx, dir_out = 0, nil   -- globals: done() reads them from each thread
function init(args)
  local dir, token, file = args[1], args[2], args[3]
  dir_out = dir
  path = args[4]
  for line in io.lines(file) do
    table.insert(images, line)
  end
  headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  out = io.open(dir .. "/responses-" .. thread_id .. ".txt", "w")
  out:setvbuf("line")
end

function request()
  sent = sent + 1
  -- A mix: each thread walks the images with a stride coprime to their count, from its own start.
  local image = (thread_id * 37 + sent * 13) % #images
  local body = '{"id":"' .. thread_id .. '-' .. sent .. '-' .. image .. '","inputs":[{"name":"pixels","shape":[1,784],' ..
               '"datatype":"UINT8","data":[' .. images[image + 1] .. ']}]}'
  return wrk.format("POST", path, headers, body)
end

function response(status, _, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  out:write(milliseconds(), " ", status, " ", (string.gsub(body, "[\r\n]", " ")), "\n")
end

function done(summary, latency, _)
  local non2xx_seen = 0
  for _, thread in ipairs(threads) do
    non2xx_seen = non2xx_seen + thread:get("non2xx")
  end
  local e = summary.errors
  local file = io.open(threads[1]:get("dir_out") .. "/summary.txt", "w")
  file:write(string.format("requests %d\nduration_us %d\nconnect %d\nread %d\nwrite %d\nstatus %d\ntimeout %d\nnon2xx %d\np50_us %d\np99_us %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, non2xx_seen,
    latency:percentile(50), latency:percentile(99)))
  file:close()
end
