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

// The take scripts' shared parts. READ: the state of every bucket in KEYS as of `now` (an
// expired bucket reads as unused and, once written, loses its old expiry). WRITE: stores the
// buckets marked dirty; one that got its first expiry (fresh) gets it with its count in one HSET.
const READ = `local used, exp, stale = {}, {}, {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'u', 'e')
  local e = tonumber(v[2])
  if e ~= nil and e <= now then
    used[i] = 0; exp[i] = false; stale[i] = true
  else
    used[i] = tonumber(v[1]) or 0; exp[i] = e or false
  end
end`;
const WRITE = `for i in pairs(dirty) do
  if fresh[i] then
    redis.call('HSET', KEYS[i], 'u', string.format('%d', used[i]), 'e', string.format('%d', exp[i]))
    redis.call('PEXPIRE', KEYS[i], string.format('%d', exp[i] - now + ${EXPIRY_GRACE_MS}))
  else
    redis.call('HSET', KEYS[i], 'u', string.format('%d', used[i]))
    if stale[i] then
      redis.call('HDEL', KEYS[i], 'e')
      redis.call('PERSIST', KEYS[i])
    end
  end
end`;
// A request's fields in ARGV from index a: limit, amount, new expiry (-1: none), number of
// buckets read, their 1-based KEYS indexes (oldest first; the last is written).
const PARSE_REQUEST = `local function request(a)
  local nr = tonumber(ARGV[a + 3])
  local read = {}
  for j = 1, nr do read[j] = tonumber(ARGV[a + 3 + j]) end
  return { tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), read }, a + 4 + nr
end
local function sum(q)
  local s = 0
  for _, i in ipairs(q[4]) do s = s + used[i] end
  return s
end`;

/**
 * take: KEYS = distinct buckets. ARGV = now, number of requests, then each request (see
 * PARSE_REQUEST). Returns {1, remaining…} or {0, failed index, remaining…}.
 */
export const TAKE = script(
  'take',
  `local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
${READ}
${PARSE_REQUEST}
local reqs = {}
local a = 3
for r = 1, n do reqs[r], a = request(a) end
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
${WRITE}
return { 1, unpack(remaining()) }`,
);

/**
 * take-each: several independent takes (each all or nothing, as `take`) in one call, applied
 * in order, each seeing what the earlier ones took; a refused one leaves no trace. KEYS =
 * distinct buckets of all of them. ARGV = now, then the takes as one JSON array: per take, its
 * requests as [limit, amount, new expiry (-1: none), [KEYS indexes read, oldest first]] — one
 * argument instead of four or five per request, which the client encoded one by one (the
 * largest allocation of a batched grant) and the script parsed with tonumber one by one.
 * cjson reads integers up to 2^53 exactly. Returns per take: ok (1/0), failed index (-1 when
 * ok), number of requests, remaining per request (after the take, or as it stood).
 */
export const TAKE_EACH = script(
  'take-each',
  `local now = tonumber(ARGV[1])
local takes = cjson.decode(ARGV[2])
${READ}
local function sum(read)
  local s = 0
  for j = 1, #read do s = s + used[read[j]] end
  return s
end
local dirty, fresh = {}, {}
local out, o = {}, 0
-- A take's written buckets as they were before it (to undo a refused one): a list, not a table per bucket.
local touched, wasUsed, wasExp, wasFresh = {}, {}, {}, {}
for _, reqs in ipairs(takes) do
  local n = #reqs
  local nt = 0
  local failed = -1
  for r = 1, n do
    local q = reqs[r]
    local read = q[4]
    if sum(read) + q[2] > q[1] then failed = r - 1; break end
    local t = read[#read]
    nt = nt + 1
    touched[nt] = t; wasUsed[nt] = used[t]; wasExp[nt] = exp[t]; wasFresh[nt] = fresh[t]
    used[t] = used[t] + q[2]
    if exp[t] == false and q[3] >= 0 then exp[t] = q[3]; fresh[t] = true end
  end
  if failed >= 0 then
    -- Undone newest first, so a bucket written twice ends as it was before the first write.
    for k = nt, 1, -1 do local t = touched[k]; used[t] = wasUsed[k]; exp[t] = wasExp[k]; fresh[t] = wasFresh[k] end
    out[o + 1] = 0; out[o + 2] = failed
  else
    for k = 1, nt do dirty[touched[k]] = true end
    out[o + 1] = 1; out[o + 2] = -1
  end
  -- Remaining after the take, or as it stood (the refused take undone).
  out[o + 3] = n
  for r = 1, n do local q = reqs[r]; out[o + 3 + r] = math.max(0, q[1] - sum(q[4])) end
  o = o + 3 + n
end
${WRITE}
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
