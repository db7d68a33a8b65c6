"""Lua scripts for shards and worker liveness, on a job's hash-tagged keys (see
`callsavvy_async.bulk._scripts` for the batch keys):
  hb      hash: worker -> the Redis time (ms) its heartbeat expires
  shards  hash: shard -> "queued:<ms>" | worker holding it | "done"
  taken   set: the shards a worker holds (so a sweep reads those, not every shard)
"""

from __future__ import annotations

from callsavvy_async.bulk._scripts import CLAIM_FUNCTION, FINISH_FUNCTION

__all__ = ["BEAT", "SHARD_DONE", "SHARD_RELEASE", "SHARD_TAKE", "STEP", "SWEEP"]

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: shards hb taken; ARGV: shard worker ttl_ms -> "ok" | "held" | "done"
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
redis.call('SADD', KEYS[3], ARGV[1])
return 'ok'
"""
)

# KEYS: shards taken; ARGV: shard worker. The holder marks its shard done.
SHARD_DONE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'done')
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""

# KEYS: shards taken; ARGV: shard worker. The holder hands its shard back (a stopping
# worker).
SHARD_RELEASE = (
    _NOW
    + """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'queued:' .. now)
redis.call('SREM', KEYS[2], ARGV[1])
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

# KEYS: hb shards state inflight counts reason batch taken; ARGV: reason
# Workers whose heartbeat expired lose their claims (the batches become unknown: they may
# have been sent) and their shards (queued again). Reads only the taken shards; one no
# longer held (queued again by a re-submission) leaves the set. Returns the shards to
# enqueue.
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
for _, shard in ipairs(redis.call('SMEMBERS', KEYS[8])) do
  local value = redis.call('HGET', KEYS[2], shard)
  if not value or value == 'done' or string.sub(value, 1, 7) == 'queued:' then
    redis.call('SREM', KEYS[8], shard)
  elseif not alive[value] then
    redis.call('HSET', KEYS[2], shard, 'queued:' .. now)
    redis.call('SREM', KEYS[8], shard)
    requeue[#requeue + 1] = shard
  end
end
return requeue
"""
)

# KEYS: batch state inflight counts reason pause
# ARGV: owner, the batch to claim (0: none), then the previous batch's outcome, if any:
#   batch outcome size cost_micros reason
# A worker's step from one batch to the next in one call: record the previous outcome
# (compare and set), claim the next, and say how many ms the job stays paused (a 429).
STEP = (
    CLAIM_FUNCTION
    + FINISH_FUNCTION
    + _NOW
    + """
if #ARGV > 2 then
  finish(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[3], ARGV[1], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
end
local numbers = false
if ARGV[2] ~= '0' then numbers = claim(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[2], ARGV[1]) end
local paused = tonumber(redis.call('GET', KEYS[6]) or '0') - now
return {numbers, math.max(paused, 0)}
"""
)
