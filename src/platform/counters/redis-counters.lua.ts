import { createHash } from 'node:crypto';

/**
 * The Lua of the Redis counters adapter. Each bucket is a hash: `u` = used, `e` = expiry in
 * epoch ms by the application's clock (absent: never expires). The expiry that counts is `e`
 * compared with the `now` the caller passes, so windows follow the injected clock exactly as in
 * PostgreSQL; the key's Redis TTL (e − now + grace) only reclaims memory, late enough that
 * clock differences between app servers cannot drop a live bucket. Numbers are written with
 * %d: Lua's default number formatting (%.14g) would round counters above 10^14.
 *
 * These scripts are counters.plan.ts (applyTakes, applyGive, live) in Lua; keep them in step.
 */
export interface LuaScript {
  name: string;
  source: string;
  sha: string;
}

const script = (name: string, source: string): LuaScript => ({ name, source, sha: createHash('sha1').update(source).digest('hex') });

/** Redis keeps a bucket this long past its expiry (by the caller's clock) before dropping it. */
export const EXPIRY_GRACE_MS = 600_000;

/**
 * take: KEYS = distinct buckets. ARGV = now, number of requests, then per request:
 * limit, amount, new expiry (-1: none), number of buckets read, their 1-based KEYS indexes
 * (oldest first; the last is written). Returns {1, remaining…} or {0, failed index, remaining…}.
 */
export const TAKE = script(
  'take',
  `local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local used, exp, stale = {}, {}, {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'u', 'e')
  local e = tonumber(v[2])
  if e ~= nil and e <= now then
    used[i] = 0; exp[i] = false; stale[i] = true
  else
    used[i] = tonumber(v[1]) or 0; exp[i] = e or false
  end
end
local reqs = {}
local a = 3
for r = 1, n do
  local nr = tonumber(ARGV[a + 3])
  local read = {}
  for j = 1, nr do read[j] = tonumber(ARGV[a + 3 + j]) end
  reqs[r] = { tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), read }
  a = a + 4 + nr
end
local function sum(q)
  local s = 0
  for _, i in ipairs(q[4]) do s = s + used[i] end
  return s
end
local function remaining()
  local out = {}
  for r = 1, n do out[r] = math.max(0, reqs[r][1] - sum(reqs[r])) end
  return out
end
local before = remaining()
local dirty, fresh = {}, {}
for r = 1, n do
  local q = reqs[r]
  if sum(q) + q[2] > q[1] then
    return { 0, r - 1, unpack(before) }
  end
  local t = q[4][#q[4]]
  used[t] = used[t] + q[2]
  if exp[t] == false and q[3] >= 0 then exp[t] = q[3]; fresh[t] = true end
  dirty[t] = true
end
for i in pairs(dirty) do
  redis.call('HSET', KEYS[i], 'u', string.format('%d', used[i]))
  if fresh[i] then
    redis.call('HSET', KEYS[i], 'e', string.format('%d', exp[i]))
    redis.call('PEXPIRE', KEYS[i], string.format('%d', exp[i] - now + ${EXPIRY_GRACE_MS}))
  elseif stale[i] then
    redis.call('HDEL', KEYS[i], 'e')
    redis.call('PERSIST', KEYS[i])
  end
end
return { 1, unpack(remaining()) }`,
);

/**
 * take_each: independent all-or-nothing groups of takes in one call (a caps chunk of a delivery
 * batch), applied in order, each against the state the groups before it left — TAKE, group by
 * group. KEYS = distinct buckets of every group. ARGV = now, number of groups, then per group:
 * number of requests, then per request as in TAKE (limit, amount, new expiry, number of buckets
 * read, their KEYS indexes). Returns, group after group: 1 and one remaining per request, or 0,
 * the failed index and one remaining per request (as it stood).
 */
export const TAKE_EACH = script(
  'take_each',
  `local now = tonumber(ARGV[1])
local groups = tonumber(ARGV[2])
local used, exp, stale = {}, {}, {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'u', 'e')
  local e = tonumber(v[2])
  if e ~= nil and e <= now then
    used[i] = 0; exp[i] = false; stale[i] = true
  else
    used[i] = tonumber(v[1]) or 0; exp[i] = e or false
  end
end
local dirty, fresh, out = {}, {}, {}
local a = 3
for g = 1, groups do
  local n = tonumber(ARGV[a])
  a = a + 1
  local reqs = {}
  for r = 1, n do
    local nr = tonumber(ARGV[a + 3])
    local read = {}
    for j = 1, nr do read[j] = tonumber(ARGV[a + 3 + j]) end
    reqs[r] = { tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), read }
    a = a + 4 + nr
  end
  local tu, te = {}, {}
  local function cur(i) local v = tu[i]; if v == nil then return used[i] end; return v end
  local function sum(q)
    local s = 0
    for _, i in ipairs(q[4]) do s = s + cur(i) end
    return s
  end
  local before = {}
  for r = 1, n do before[r] = math.max(0, reqs[r][1] - sum(reqs[r])) end
  local failed = 0
  for r = 1, n do
    local q = reqs[r]
    if sum(q) + q[2] > q[1] then failed = r; break end
    local t = q[4][#q[4]]
    tu[t] = cur(t) + q[2]
    local e = te[t]
    if e == nil then e = exp[t] end
    if e == false and q[3] >= 0 then te[t] = q[3] end
  end
  if failed > 0 then
    out[#out + 1] = 0
    out[#out + 1] = failed - 1
    for r = 1, n do out[#out + 1] = before[r] end
  else
    for i, v in pairs(tu) do used[i] = v; dirty[i] = true end
    for i, v in pairs(te) do exp[i] = v; fresh[i] = true end
    out[#out + 1] = 1
    for r = 1, n do out[#out + 1] = math.max(0, reqs[r][1] - sum(reqs[r])) end
  end
end
for i in pairs(dirty) do
  redis.call('HSET', KEYS[i], 'u', string.format('%d', used[i]))
  if fresh[i] then
    redis.call('HSET', KEYS[i], 'e', string.format('%d', exp[i]))
    redis.call('PEXPIRE', KEYS[i], string.format('%d', exp[i] - now + ${EXPIRY_GRACE_MS}))
  elseif stale[i] then
    redis.call('HDEL', KEYS[i], 'e')
    redis.call('PERSIST', KEYS[i])
  end
end
return out`,
);

/** give: KEYS = buckets oldest first; ARGV = now, amount. Newest gives first. Returns {used after, returned}. */
export const GIVE = script(
  'give',
  `local now = tonumber(ARGV[1])
local left = tonumber(ARGV[2])
local total = 0
for i = #KEYS, 1, -1 do
  local v = redis.call('HMGET', KEYS[i], 'u', 'e')
  local e = tonumber(v[2])
  local u = tonumber(v[1]) or 0
  if e ~= nil and e <= now then u = 0 end
  local back = math.min(left, u)
  if back > 0 then
    left = left - back
    u = u - back
    redis.call('HSET', KEYS[i], 'u', string.format('%d', u))
  end
  total = total + u
end
return { total, tonumber(ARGV[2]) - left }`,
);

/** get: KEYS = buckets; ARGV = now. Returns the used sum of the live ones. */
export const GET = script(
  'get',
  `local now = tonumber(ARGV[1])
local total = 0
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'u', 'e')
  local e = tonumber(v[2])
  if e == nil or e > now then total = total + (tonumber(v[1]) or 0) end
end
return total`,
);

/** set: KEYS = {bucket}; ARGV = now, used, new expiry (-1: none). Keeps a live expiry. */
export const SET = script(
  'set',
  `local now = tonumber(ARGV[1])
local e = tonumber(redis.call('HGET', KEYS[1], 'e'))
local ne = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'u', ARGV[2])
if e == nil or e <= now then
  if ne >= 0 then
    redis.call('HSET', KEYS[1], 'e', ARGV[3])
    redis.call('PEXPIRE', KEYS[1], string.format('%d', ne - now + ${EXPIRY_GRACE_MS}))
  elseif e ~= nil then
    redis.call('HDEL', KEYS[1], 'e')
    redis.call('PERSIST', KEYS[1])
  end
end
return 1`,
);

export const SCRIPTS: readonly LuaScript[] = [TAKE, TAKE_EACH, GIVE, GET, SET];
