"""The Lua scripts of the Redis journal: each runs atomically on the Redis server, so a
claim, an outcome or an admission is all or nothing, whoever else is running.

Keys of job J (hash-tagged, so a Redis Cluster keeps a job on one slot):
  meta      hash: identity, run, next (last batch id), frozen flags
  rcpt      hash: number -> "r<run>" (admitted, not batched) or "<batch>:<run>"
  batch     hash: batch id -> comma-joined numbers
  state     hash: batch id -> pending | inflight | sent | queued | failed | unknown | retired
  inflight  hash: batch id -> owner (who holds the claim)
  counts    hash: recipients by outcome, batches attempted, cost in micro-units, settled
  reason    hash: batch id -> why it failed or is unknown
  invalid   list: JSON [recipient, reason] of the last submission's invalid recipients
"""

from __future__ import annotations

__all__ = ["ADMIT", "CLAIM", "CREATE", "FINISH", "ORPHAN", "PACE", "PAUSE", "REOPEN"]

# KEYS: rcpt state counts; ARGV: run resend_unknown number...
# Returns one code per number: 0 new, 1 duplicate, 2 skipped, 3 unknown.
ADMIT = """
local run, resend = ARGV[1], ARGV[2] == '1'
local codes, dup, skip, unk = {}, 0, 0, 0
for i = 3, #ARGV do
  local n = ARGV[i]
  local seen = redis.call('HGET', KEYS[1], n)
  local code = 0
  if seen then
    local batch, r = string.match(seen, '^(%d+):(%d+)$')
    if batch == nil then
      if string.sub(seen, 2) == run then code = 1 end
    elseif r == run then code = 1
    else
      local state = redis.call('HGET', KEYS[2], batch)
      if state == 'unknown' and not resend then code = 3
      elseif state ~= 'failed' and state ~= 'unknown' and state ~= 'retired' then code = 2 end
    end
  end
  if code == 0 then redis.call('HSET', KEYS[1], n, 'r' .. run)
  elseif code == 1 then dup = dup + 1
  else
    redis.call('HSET', KEYS[1], n, string.match(seen, '^%d+') .. ':' .. run)
    if code == 2 then skip = skip + 1 else unk = unk + 1 end
  end
  codes[#codes + 1] = code
end
if dup > 0 then redis.call('HINCRBY', KEYS[3], 'duplicate', dup) end
if skip > 0 then redis.call('HINCRBY', KEYS[3], 'skipped', skip) end
return codes
"""

# KEYS: meta batch state inflight rcpt counts; ARGV: run state owner number...
# A new batch of the numbers, "pending" (frozen for workers) or "inflight" (claimed by
# owner); returns its id.
CREATE = """
local id = redis.call('HINCRBY', KEYS[1], 'next', 1)
local numbers = {}
for i = 4, #ARGV do
  numbers[#numbers + 1] = ARGV[i]
  redis.call('HSET', KEYS[5], ARGV[i], id .. ':' .. ARGV[1])
end
redis.call('HSET', KEYS[2], id, table.concat(numbers, ','))
redis.call('HSET', KEYS[3], id, ARGV[2])
if ARGV[2] == 'inflight' then
  redis.call('HSET', KEYS[4], id, ARGV[3])
  redis.call('HINCRBY', KEYS[6], 'batches', 1)
else
  redis.call('HINCRBY', KEYS[6], 'frozen', 1)
end
return id
"""

# KEYS: batch state inflight counts; ARGV: batch owner
# Claim a pending batch: returns its numbers, or false when it is not pending.
CLAIM = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= 'pending' then return false end
redis.call('HSET', KEYS[2], ARGV[1], 'inflight')
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[4], 'batches', 1)
return redis.call('HGET', KEYS[1], ARGV[1])
"""

# KEYS: state inflight counts reason; ARGV: batch owner outcome size cost_micros reason
# Record an outcome only if `owner` still holds the claim (compare and set); 1 if so.
FINISH = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[3], tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[3], 'settled', 1)
if tonumber(ARGV[5]) ~= 0 then redis.call('HINCRBY', KEYS[3], 'cost', tonumber(ARGV[5])) end
if ARGV[3] == 'failed' or ARGV[3] == 'unknown' then
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[6])
end
return 1
"""

# KEYS: state inflight counts reason batch; ARGV: reason owner...
# Every batch claimed by one of the owners becomes unknown (it may have been sent);
# with no owner given, every claimed batch. Returns how many.
ORPHAN = """
local owners = {}
for i = 2, #ARGV do owners[ARGV[i]] = true end
local all = #ARGV == 1
local claimed = redis.call('HGETALL', KEYS[2])
local count = 0
for i = 1, #claimed, 2 do
  local id, owner = claimed[i], claimed[i + 1]
  if all or owners[owner] then
    local numbers = redis.call('HGET', KEYS[5], id)
    local size = select(2, string.gsub(numbers, ',', ',')) + 1
    redis.call('HDEL', KEYS[2], id)
    redis.call('HSET', KEYS[1], id, 'unknown')
    redis.call('HINCRBY', KEYS[3], 'unknown', size)
    redis.call('HINCRBY', KEYS[3], 'settled', 1)
    redis.call('HSET', KEYS[4], id, ARGV[1])
    count = count + 1
  end
end
return count
"""

# KEYS: state counts batch; ARGV: new_state outcome...
# Settled batches with one of these outcomes become `new_state`: "pending" (a distributed
# re-run sends the same batch again) or "retired" (a local re-run admits its numbers
# anew); returns their ids.
REOPEN = """
local wanted = {}
for i = 2, #ARGV do wanted[ARGV[i]] = true end
local states = redis.call('HGETALL', KEYS[1])
local reopened = {}
for i = 1, #states, 2 do
  local id, state = states[i], states[i + 1]
  if wanted[state] then
    local numbers = redis.call('HGET', KEYS[3], id)
    local size = select(2, string.gsub(numbers, ',', ',')) + 1
    redis.call('HSET', KEYS[1], id, ARGV[1])
    redis.call('HINCRBY', KEYS[2], state, -size)
    redis.call('HINCRBY', KEYS[2], 'settled', -1)
    reopened[#reopened + 1] = id
  end
end
return reopened
"""

# KEYS: rate pause; ARGV: interval_ms
# While the job is paused: minus the milliseconds the pause has left (no slot is taken).
# Otherwise a slot is taken: the milliseconds until it (0: go now).
PACE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return now - paused end
local interval = tonumber(ARGV[1])
if interval <= 0 then return 0 end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], slot + interval, 'PX', 60000 + interval)
return slot - now
"""

# KEYS: pause; ARGV: ms. Pause the job for ms from now (never shortening a pause).
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_, 'PX', tonumber(ARGV[1]) + 1000)
end
return until_
"""
