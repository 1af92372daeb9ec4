-- The requests of every bench workload. Each request comes from its own client IP
-- (X-Forwarded-For, believed by both servers from loopback), so per-IP rate limits, on in both,
-- measure the server and not one bucket. Arguments after wrk's `--`:
--   get                          GET with the -H headers as given (e.g. one Cookie)
--   get-any COOKIE_FILE          GET with a Cookie header drawn at random from the file's lines
--   sign-in EMAIL PASSWORD       POST the same credentials every time
--   sign-up RUN PASSWORD         POST a new address every time, bench-RUN-TAG-THREAD-N@example.test
--                                (TAG: random, so that runs with the same RUN do not collide)
-- wrk.format() sends only the headers it is given: the -H ones (Host, Cookie...) are copied.

local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

local mode, counter, cookies, body, run, password
local post_headers = { ["Content-Type"] = "application/json", ["Origin"] = "http://localhost:3000" }

local function random_tag()
  local urandom = io.open("/dev/urandom", "rb")
  local bytes = urandom:read(4)
  urandom:close()
  return string.format("%02x%02x%02x%02x", bytes:byte(1, 4))
end

function init(args)
  mode = args[1]
  counter = 0
  math.randomseed(os.time() + thread_id)
  if mode == "get-any" then
    cookies = {}
    for line in io.lines(args[2]) do
      cookies[#cookies + 1] = line
    end
  elseif mode == "sign-in" then
    body = string.format('{"email":"%s","password":"%s"}', args[2], args[3])
  elseif mode == "sign-up" then
    run, password = args[2] .. "-" .. random_tag(), args[3]
  elseif mode ~= "get" then
    error("unknown mode " .. tostring(mode))
  end
end

request = function()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  -- 16 threads at most, 2^20 addresses each: no address comes back within a run.
  headers["X-Forwarded-For"] = string.format(
    "10.%d.%d.%d",
    thread_id * 16 + math.floor(counter / 65536) % 16,
    math.floor(counter / 256) % 256,
    counter % 256
  )
  if mode == "get" then
    return wrk.format("GET", nil, headers)
  elseif mode == "get-any" then
    headers["Cookie"] = cookies[math.random(#cookies)]
    return wrk.format("GET", nil, headers)
  end
  for name, value in pairs(post_headers) do
    headers[name] = value
  end
  if mode == "sign-up" then
    local email = string.format("bench-%s-%d-%d@example.test", run, thread_id, counter)
    body = string.format('{"name":"Bench","email":"%s","password":"%s"}', email, password)
  end
  return wrk.format("POST", nil, headers, body)
end
