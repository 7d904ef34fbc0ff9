-- wrk script: every request is a NEW Zendesk `ticket.comment_added` delivery, signed the
-- way Zendesk signs (base64 HMAC-SHA256 over timestamp .. body) at the moment it is sent.
--
-- Environment (set by bench/webhook_ack.py):
--   BENCH_TEMPLATE  file with the ~2 KB body; __ID__, __TICKET__, __COMMENT__ are replaced
--   BENCH_SECRET    the workspace's Zendesk signing secret
--   BENCH_RUN       a prefix making delivery ids unique across runs
-- HMAC and base64 come from OpenSSL's libcrypto through LuaJIT's FFI (wrk links it).

local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
]]
local ok, crypto = pcall(function() ffi.C.EVP_sha256(); return ffi.C end)
if not ok then crypto = ffi.load("crypto") end

local secret = assert(os.getenv("BENCH_SECRET"), "BENCH_SECRET is not set")
local run = assert(os.getenv("BENCH_RUN"), "BENCH_RUN is not set")
local file = assert(io.open(assert(os.getenv("BENCH_TEMPLATE")), "rb"))
local template = file:read("*a")
file:close()

-- The template split at its placeholders, so a body is one concatenation.
local parts, names = {}, {}
local rest = template
while true do
  local s, e, name = rest:find("__(%u+)__")
  if not s then break end
  parts[#parts + 1] = rest:sub(1, s - 1)
  names[#names + 1] = name
  rest = rest:sub(e + 1)
end
parts[#parts + 1] = rest

local digest = ffi.new("unsigned char[32]")
local digest_len = ffi.new("unsigned int[1]")
local encoded = ffi.new("unsigned char[64]")
local counter = 0

local function sign(message)
  crypto.HMAC(crypto.EVP_sha256(), secret, #secret, message, #message, digest, digest_len)
  return ffi.string(encoded, crypto.EVP_EncodeBlock(encoded, digest, 32))
end

request = function()
  counter = counter + 1
  local values = {
    ID = run .. "-" .. counter,
    TICKET = tostring(100000 + counter % 2000),  -- 2,000 tickets, like real traffic
    COMMENT = tostring(900000000 + counter),
  }
  local pieces = { parts[1] }
  for i, name in ipairs(names) do
    pieces[#pieces + 1] = values[name]
    pieces[#pieces + 1] = parts[i + 1]
  end
  local body = table.concat(pieces)
  local stamp = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Zendesk-Webhook-Signature"] = sign(stamp .. body),
    ["X-Zendesk-Webhook-Signature-Timestamp"] = stamp,
  }
  return wrk.format("POST", nil, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
