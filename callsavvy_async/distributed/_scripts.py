"""Lua scripts for shards and worker liveness, on a job's hash-tagged keys (see
`callsavvy_async.bulk._scripts` for the batch keys):
  hb      hash: worker -> the Redis time (ms) its heartbeat expires
  shards  hash: shard -> "queued:<ms>" | worker holding it | "done"
"""

from __future__ import annotations

__all__ = ["BEAT", "SHARD_DONE", "SHARD_RELEASE", "SHARD_TAKE", "SWEEP"]

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: shards hb; ARGV: shard worker ttl_ms -> "ok" | "held" | "done"
SHARD_TAKE = (
    _NOW
    + """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == 'done' then return 'done' end
if current and string.sub(current, 1, 7) ~= 'queued:' then
  local expires = tonumber(redis.call('HGET', KEYS[2], current) or '0')
  if expires > now then return 'held' end
end
redis.call('HSET', KEYS[2], ARGV[2], now + tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'ok'
"""
)

# KEYS: shards; ARGV: shard worker. The holder marks its shard done.
SHARD_DONE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'done')
return 1
"""

# KEYS: shards; ARGV: shard worker. The holder hands its shard back (a stopping worker).
SHARD_RELEASE = (
    _NOW
    + """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'queued:' .. now)
return 1
"""
)

# KEYS: hb; ARGV: worker ttl_ms. Extend a heartbeat.
BEAT = (
    _NOW
    + """
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
return 1
"""
)

# KEYS: hb shards state inflight counts reason batch; ARGV: reason stale_ms
# Workers whose heartbeat expired lose their claims (the batches become unknown: they may
# have been sent) and their shards (queued again); a shard queued for longer than
# stale_ms without being taken is queued again too. Returns the shards to enqueue.
SWEEP = (
    _NOW
    + """
local alive, dead = {}, {}
local beats = redis.call('HGETALL', KEYS[1])
for i = 1, #beats, 2 do
  if tonumber(beats[i + 1]) > now then alive[beats[i]] = true
  else dead[beats[i]] = true; redis.call('HDEL', KEYS[1], beats[i]) end
end
local claimed = redis.call('HGETALL', KEYS[4])
for i = 1, #claimed, 2 do
  local id, owner = claimed[i], claimed[i + 1]
  if not alive[owner] then
    local numbers = redis.call('HGET', KEYS[7], id)
    local size = select(2, string.gsub(numbers, ',', ',')) + 1
    redis.call('HDEL', KEYS[4], id)
    redis.call('HSET', KEYS[3], id, 'unknown')
    redis.call('HINCRBY', KEYS[5], 'unknown', size)
    redis.call('HINCRBY', KEYS[5], 'settled', 1)
    redis.call('HSET', KEYS[6], id, ARGV[1])
  end
end
local requeue = {}
local shards = redis.call('HGETALL', KEYS[2])
for i = 1, #shards, 2 do
  local shard, value = shards[i], shards[i + 1]
  if value ~= 'done' then
    local again = false
    if string.sub(value, 1, 7) == 'queued:' then
      again = now - tonumber(string.sub(value, 8)) > tonumber(ARGV[2])
    else
      again = not alive[value]
    end
    if again then
      redis.call('HSET', KEYS[2], shard, 'queued:' .. now)
      requeue[#requeue + 1] = shard
    end
  end
end
return requeue
"""
)
