-- PUT /v2/customer_sessions/{id} with a 10-item cart and a coupon. Each connection cycles over
-- its own 200 sessions, so requests mix session creations with updates of open sessions. Each
-- session belongs to its own customer, as in a shop (concurrent updates of one customer's profile
-- are rare there). PERK_BENCH_PREFIX keeps the sessions of several wrk processes apart.
dofile("bench/report.lua")

local counter = 0
local thread_id = 0
local threads = 0

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function init(args)
  key = os.getenv("PERK_BENCH_KEY")
  coupon = os.getenv("PERK_BENCH_COUPON")
  local items = {}
  for i = 1, 10 do
    local category = (i % 3 == 0) and "shoes" or "accessories"
    items[#items + 1] = string.format(
      '{"name":"Item %d","sku":"sku-%d","quantity":%d,"price":%d.99,"category":"%s","attributes":{"color":"blue"}}',
      i, i, (i % 3) + 1, 10 + i * 7, category)
  end
  body = string.format(
    '{"customerSession":{"profileId":"%%s","couponCodes":["%s"],"cartItems":[%s],"attributes":{"channel":"web"}},"responseContent":["customerSession"]}',
    coupon, table.concat(items, ","))
  prefix = os.getenv("PERK_BENCH_PREFIX") or "bench"
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "ApiKey-v1 " .. key }
end

function request()
  counter = counter + 1
  local id = string.format("%s-%d-%d", prefix, thread_id, counter % 200)
  return wrk.format("PUT", "/v2/customer_sessions/" .. id, headers, string.format(body, "customer-" .. id))
end

function done(summary, latency, requests)
  report(summary, latency)
end
