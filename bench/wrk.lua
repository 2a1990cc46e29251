-- wrk script for bench/run.sh. Two modes, chosen by the first script argument:
--   wrk ... -s bench/wrk.lua http://HOST/api/v1/webchat/CH/messages -- ingest TOKENS_FILE
--       POSTs {"text":"bench message <thread>-<counter>"} with X-Visitor-Token rotating, request
--       by request, through the visitor tokens in TOKENS_FILE (one per line); each thread starts
--       at a different offset so concurrent requests mostly belong to different visitors.
--   wrk ... -s bench/wrk.lua http://HOST/webhooks/CH -- whatsapp APP_SECRET PHONE_NUMBER_ID SENDERS RUN_ID
--       POSTs a WhatsApp Cloud API webhook (object whatsapp_business_account) carrying one text
--       message, signed like Meta signs it: X-Hub-Signature-256: sha256=<hex HMAC-SHA256(APP_SECRET,
--       body)>, computed per request with libcrypto's HMAC through LuaJIT's FFI. Every message has
--       a unique wamid (wamid.bench.RUN_ID.<thread>.<counter>), so none is deduplicated; senders
--       rotate over SENDERS phone numbers (one contact and conversation each), like the visitors.
--   wrk ... -s bench/wrk.lua http://HOST/ -- plain
--       GETs the URL as is (the nginx baseline), with the same per-response bookkeeping so both
--       runs pay the same client-side cost.
-- Every response's status is counted per thread; done() prints machine-readable lines that
-- run.sh parses (all latencies in microseconds):
--   BENCH requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N max_us=N
--   BENCH_ERRORS connect=N read=N write=N timeout=N status=N
--   BENCH_STATUS <code> <count>            (one line per status seen)
--   BENCH_SAMPLE <code> <first body seen>  (only for statuses other than the expected one)

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local mode, tokens, ntokens, counter, pos, expected
local wa_secret, wa_phone, wa_senders, wa_run, hmac_sha256
-- globals, so that done() can read them from each thread with thread:get()
counts, samples = {}, {}

function init(args)
  mode = args[1] or "plain"
  counter = 0
  if mode == "ingest" then
    expected = 201
    tokens = {}
    local f = assert(io.open(assert(args[2], "ingest mode needs a tokens file"), "r"))
    for line in f:lines() do
      if #line > 0 then table.insert(tokens, line) end
    end
    f:close()
    ntokens = #tokens
    assert(ntokens > 0, "no visitor tokens in " .. args[2])
    -- spread the threads' starting points over the token list
    pos = ((id - 1) * 7919) % ntokens
    wrk.method = "POST"
  elseif mode == "whatsapp" then
    expected = 200
    wa_secret = assert(args[2], "whatsapp mode needs the app secret")
    wa_phone = assert(args[3], "whatsapp mode needs the phone number id")
    wa_senders = tonumber(args[4] or "200")
    wa_run = args[5] or tostring(os.time())
    hmac_sha256 = make_hmac_sha256()
    pos = ((id - 1) * 7919) % wa_senders
    wrk.method = "POST"
  else
    expected = 200
  end
end

-- HMAC-SHA256 from the system's libcrypto (OpenSSL 3) through LuaJIT's FFI: a hex digest.
function make_hmac_sha256()
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct evp_md_st EVP_MD;
    const EVP_MD *EVP_sha256(void);
    unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *d,
                        size_t n, unsigned char *md, unsigned int *md_len);
  ]]
  local ok, crypto = pcall(ffi.load, "libcrypto.so.3")
  if not ok then crypto = ffi.load("crypto") end
  local md, md_len = ffi.new("unsigned char[32]"), ffi.new("unsigned int[1]")
  local sha256 = crypto.EVP_sha256()
  local hex = {}
  for i = 0, 255 do hex[i] = string.format("%02x", i) end
  local parts = {}
  return function(key, data)
    crypto.HMAC(sha256, key, #key, data, #data, md, md_len)
    for i = 0, 31 do parts[i + 1] = hex[md[i]] end
    return table.concat(parts)
  end
end

function request()
  if mode == "whatsapp" then
    counter = counter + 1
    pos = pos % wa_senders + 1
    local from = string.format("3912%07d", pos)
    local body = string.format(
      '{"object":"whatsapp_business_account","entry":[{"id":"1029","changes":[{"field":"messages","value":' ..
      '{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"%s"},' ..
      '"contacts":[{"profile":{"name":"Bench %d"},"wa_id":"%s"}],"messages":[{"from":"%s",' ..
      '"id":"wamid.bench.%s.%d.%d","timestamp":"%d","type":"text","text":{"body":"bench message %d-%d"}}]}}]}]}',
      wa_phone, pos, from, from, wa_run, id, counter, os.time(), id, counter)
    return wrk.format("POST", wrk.path, {
      ["Content-Type"] = "application/json",
      ["X-Hub-Signature-256"] = "sha256=" .. hmac_sha256(wa_secret, body),
    }, body)
  end
  if mode ~= "ingest" then
    return wrk.format(nil, wrk.path)
  end
  counter = counter + 1
  pos = pos % ntokens + 1
  local body = string.format('{"text":"bench message %d-%d"}', id, counter)
  return wrk.format("POST", wrk.path, {
    ["Content-Type"] = "application/json",
    ["X-Visitor-Token"] = tokens[pos],
  }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status ~= expected and samples[status] == nil then
    samples[status] = string.sub(body or "", 1, 300)
  end
end

function done(summary, latency, requests)
  local total, sample = {}, {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    if c then
      for code, n in pairs(c) do total[code] = (total[code] or 0) + n end
    end
    local s = t:get("samples")
    if s then
      for code, b in pairs(s) do
        if sample[code] == nil then sample[code] = b end
      end
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write(string.format("BENCH_ERRORS connect=%d read=%d write=%d timeout=%d status=%d\n",
    e.connect, e.read, e.write, e.timeout, e.status))
  local codes = {}
  for code in pairs(total) do table.insert(codes, code) end
  table.sort(codes)
  for _, code in ipairs(codes) do
    io.write(string.format("BENCH_STATUS %d %d\n", code, total[code]))
  end
  for code, b in pairs(sample) do
    io.write(string.format("BENCH_SAMPLE %d %s\n", code, (string.gsub(b, "[\r\n]", " "))))
  end
end
