-- Every request from its own client IP, so per-IP rate limits measure the server, not one
-- bucket. wrk.format() sends only the headers it is given: copy the -H ones (Host, Cookie).
local counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  local a, b, c = math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", a, b, c)
  return wrk.format(nil, nil, headers)
end
