-- wrk's script for `./lab bench --serve`: every request POSTs the body in BODY_FILE with the bearer token in TOKEN.
-- wrk counts the answers that are not 2xx; the benchmark fails a load with any.
local file = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
