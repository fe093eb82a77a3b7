/**
 * Lua scripts behind the Redis backend. Each item is a Redis hash `{ v: value, f: flags, c: cas }`
 * under the memcached key; every script touches exactly that one key, so all of them work on a
 * Redis Cluster. Expiry is the key's TTL, set with memcached's rules (see `EXPIRE`).
 */

/** memcached exptime → Redis TTL: 0 never, < 0 now, up to 30 days relative, beyond that unix time. */
const EXPIRE = `
local function expire(key, exptime)
  exptime = tonumber(exptime)
  if exptime == 0 then redis.call('PERSIST', key)
  elseif exptime < 0 then redis.call('DEL', key)
  elseif exptime > 2592000 then redis.call('EXPIREAT', key, exptime)
  else redis.call('EXPIRE', key, exptime) end
end
`;

/**
 * A fresh cas unique: the server time in microseconds, so a key deleted and created again never
 * gets a cas value it had before; later writes increment it.
 */
const FRESH_CAS = `
local function fresh_cas()
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', tonumber(t[2]))
end
`;

/** ARGV: mode (set|add|replace|cas|append|prepend), value, flags, exptime, cas → a status word. */
export const STORE = `${EXPIRE}${FRESH_CAS}
local key, mode = KEYS[1], ARGV[1]
local exists = redis.call('EXISTS', key) == 1
if exists and redis.call('TYPE', key).ok ~= 'hash' then
  return redis.error_reply('key holds a value not written by the memcached proxy')
end
if mode == 'add' and exists then return 'NOT_STORED' end
if (mode == 'replace' or mode == 'append' or mode == 'prepend') and not exists then return 'NOT_STORED' end
if mode == 'cas' then
  if not exists then return 'NOT_FOUND' end
  if redis.call('HGET', key, 'c') ~= ARGV[5] then return 'EXISTS' end
end
if mode == 'append' or mode == 'prepend' then
  local old = redis.call('HGET', key, 'v') or ''
  local new = mode == 'append' and (old .. ARGV[2]) or (ARGV[2] .. old)
  redis.call('HSET', key, 'v', new)
  redis.call('HINCRBY', key, 'c', 1)
  return 'STORED'
end
local cas
if exists then
  redis.call('HINCRBY', key, 'c', 1)
  cas = redis.call('HGET', key, 'c')
else
  cas = fresh_cas()
end
redis.call('DEL', key)
redis.call('HSET', key, 'v', ARGV[2], 'f', ARGV[3], 'c', cas)
expire(key, ARGV[4])
return 'STORED'
`;

/** ARGV: incr|decr, delta → the new value, or a status word / CLIENT_ERROR text. */
export const ARITHMETIC = `
local key = KEYS[1]
local value = redis.call('HGET', key, 'v')
if not value then return 'NOT_FOUND' end
if not string.match(value, '^%d+$') then return 'CLIENT_ERROR cannot increment or decrement non-numeric value' end
-- memcached reads the digits as a number ('05' is 5); Redis refuses leading zeros.
local digits = string.gsub(value, '^0+', '')
if digits == '' then digits = '0' end
if digits ~= value then redis.call('HSET', key, 'v', digits) end
local ok, result
if ARGV[2] == '0' then
  -- By nothing: the value as it is (Redis refuses a delta of -0).
elseif ARGV[1] == 'incr' then
  ok, result = pcall(redis.call, 'HINCRBY', key, 'v', ARGV[2])
  if not ok then return 'CLIENT_ERROR incr would overflow a signed 64-bit value in the redis backend' end
else
  ok, result = pcall(redis.call, 'HINCRBY', key, 'v', '-' .. ARGV[2])
  if not ok then return 'CLIENT_ERROR value is not a signed 64-bit number in the redis backend' end
  if result < 0 then redis.call('HSET', key, 'v', '0') end
end
redis.call('HINCRBY', key, 'c', 1)
-- Read back the stored text: a Lua number would lose digits beyond 2^53.
return redis.call('HGET', key, 'v')
`;

/** ARGV: exptime → TOUCHED | NOT_FOUND. */
export const TOUCH = `${EXPIRE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NOT_FOUND' end
expire(KEYS[1], ARGV[1])
return 'TOUCHED'
`;

/** ARGV: exptime → { v, f, c } or nil (get-and-touch). */
export const GAT = `${EXPIRE}
local item = redis.call('HMGET', KEYS[1], 'v', 'f', 'c')
if not item[1] then return nil end
expire(KEYS[1], ARGV[1])
return item
`;
