-- Every request from its own client IP, so per-IP rate limits measure the server, not one bucket.
local counter = 0
request = function()
  counter = counter + 1
  local ip = string.format("10.%d.%d.%d", (counter >> 16) & 255, (counter >> 8) & 255, counter & 255)
  return wrk.format(nil, nil, { ["X-Forwarded-For"] = ip })
end
