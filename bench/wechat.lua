-- wrk script: plays WeChat sending plaintext text messages to POST /wechat.
--
-- Usage: wrk -s bench/wechat.lua URL -- CONFIG.lua
-- CONFIG.lua (written by bench/_wrk.py) returns {token, account, prefix, users, questions,
-- answer_marker, sorry_marker}. Every request is signed as WeChat signs plaintext mode
-- (sha1 of the sorted token, timestamp and nonce, in the query string) with a fresh nonce,
-- and carries a fresh MsgId (run prefix .. thread id .. counter) so the app's retry
-- de-duplication never short-cuts it. done() prints one line "WRK_JSON {...}" that
-- bench/_wrk.py parses.

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rol, lshift, tobit, tohex = bit.rol, bit.lshift, bit.tobit, bit.tohex

-- SHA-1 (FIPS 180-4) on LuaJIT's 32-bit bit operations; wrk has no hash of its own.
function sha1(msg)
  local h0, h1, h2, h3, h4 =
    tobit(0x67452301), tobit(0xEFCDAB89), tobit(0x98BADCFE), tobit(0x10325476), tobit(0xC3D2E1F0)
  local ml = #msg
  local bits = ml * 8
  msg = msg .. "\128" .. string.rep("\0", (55 - ml) % 64)
    .. "\0\0\0" .. string.char(math.floor(bits / 2 ^ 32) % 256)
    .. string.char(math.floor(bits / 2 ^ 24) % 256, math.floor(bits / 2 ^ 16) % 256,
                   math.floor(bits / 2 ^ 8) % 256, bits % 256)
  local w = {}
  for chunk = 1, #msg, 64 do
    for i = 0, 15 do
      local a, b, c, d = msg:byte(chunk + i * 4, chunk + i * 4 + 3)
      w[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for i = 16, 79 do
      w[i] = rol(bxor(w[i - 3], w[i - 8], w[i - 14], w[i - 16]), 1)
    end
    local a, b, c, d, e = h0, h1, h2, h3, h4
    for i = 0, 79 do
      local f, k
      if i < 20 then
        f, k = bor(band(b, c), band(bnot(b), d)), 0x5A827999
      elseif i < 40 then
        f, k = bxor(b, c, d), 0x6ED9EBA1
      elseif i < 60 then
        f, k = bor(band(b, c), band(b, d), band(c, d)), 0x8F1BBCDC
      else
        f, k = bxor(b, c, d), 0xCA62C1D6
      end
      local temp = tobit(rol(a, 5) + f + e + k + w[i])
      e, d, c, b, a = d, c, rol(b, 30), a, temp
    end
    h0, h1, h2, h3, h4 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d), tobit(h4 + e)
  end
  return tohex(h0) .. tohex(h1) .. tohex(h2) .. tohex(h3) .. tohex(h4)
end

-- main state: hand each thread an id, keep the threads to sum their counters in done()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- thread state
local cfg, counter, started
ok, answered, sorry, bad = 0, 0, 0, 0
-- per second since this thread started: timeline[4 * second + i] for i = 1 ok, 2 answered,
-- 3 sorry, 4 bad (flat: wrk copies only one level of table between threads)
timeline = {}

function init(args)
  cfg = dofile(args[1])
  counter = 0
  started = os.time()
end

function request()
  counter = counter + 1
  local timestamp = tostring(os.time())
  local nonce = string.format("%d%07d", id, counter)
  local parts = {cfg.token, timestamp, nonce}
  table.sort(parts)
  local signature = sha1(table.concat(parts))
  local openid = string.format("oBench%02d%07d", id, counter % cfg.users)
  local question = cfg.questions[(counter * 7 + id) % #cfg.questions + 1]
  local msgid = string.format("%s%02d%09d", cfg.prefix, id, counter)
  local body = "<xml><ToUserName><![CDATA[" .. cfg.account .. "]]></ToUserName>"
    .. "<FromUserName><![CDATA[" .. openid .. "]]></FromUserName>"
    .. "<CreateTime>" .. timestamp .. "</CreateTime>"
    .. "<MsgType><![CDATA[text]]></MsgType>"
    .. "<Content><![CDATA[" .. question .. "]]></Content>"
    .. "<MsgId>" .. msgid .. "</MsgId></xml>"
  local path = "/wechat?signature=" .. signature .. "&timestamp=" .. timestamp
    .. "&nonce=" .. nonce .. "&openid=" .. openid
  return wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
end

function response(status, headers, body)
  local slot = 4 * (os.time() - started)
  local kind
  if status == 200 then
    ok = ok + 1
    kind = 1
    if body:find(cfg.answer_marker, 1, true) then
      answered = answered + 1
      timeline[slot + 2] = (timeline[slot + 2] or 0) + 1
    elseif body:find(cfg.sorry_marker, 1, true) then
      sorry = sorry + 1
      timeline[slot + 3] = (timeline[slot + 3] or 0) + 1
    end
  else
    bad = bad + 1
    kind = 4
  end
  timeline[slot + kind] = (timeline[slot + kind] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {ok = 0, answered = 0, sorry = 0, bad = 0}
  local seconds = {}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
    for key, count in pairs(thread:get("timeline") or {}) do
      local second, i = math.floor((key - 1) / 4), (key - 1) % 4 + 1
      local sum = seconds[second] or {0, 0, 0, 0}
      sum[i] = sum[i] + count
      seconds[second] = sum
    end
  end
  local keys = {}
  for second, _ in pairs(seconds) do table.insert(keys, second) end
  table.sort(keys)
  local timeline_json = {}
  for _, second in ipairs(keys) do
    local s = seconds[second]
    table.insert(timeline_json, string.format("[%d,%d,%d,%d,%d]", second, s[1], s[2], s[3], s[4]))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us":%d,"requests":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f,"mean":%.1f},'
      .. '"ok":%d,"answered":%d,"sorry":%d,"bad":%d,"timeline":[%s]}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean,
    totals.ok, totals.answered, totals.sorry, totals.bad, table.concat(timeline_json, ",")))
end
