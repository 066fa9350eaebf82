-- cold.lua - wrk script for the cold-cache run: every request carries a
-- different session cookie and asks for a different subject's avatar, so
-- neither presignd's session cache nor its object-reference cache can
-- answer and each request goes to Postgres.
--
-- Viewer v (1..users) asks for its partner's avatar (v+1 when v is odd,
-- v-1 when even; partners share an organisation, see load.sql). Thread t of
-- T takes viewers t+1, t+1+T, ...; if a run outlives the population it
-- wraps around (counted in "wraps": those requests may hit the cache, and
-- run.sh reports it). Arguments after "--": users, cookie name, threads.

bench_threads = {}

function setup(thread)
   thread:set("tid", #bench_threads)
   table.insert(bench_threads, thread)
end

function init(args)
   users = tonumber(args[1])
   cookie_name = args[2]
   stride = tonumber(args[3])
   viewer = tid + 1
   wraps = 0
end

function request()
   local v = viewer
   viewer = viewer + stride
   if viewer > users then
      viewer = viewer - users
      wraps = wraps + 1
   end
   local subject = (v % 2 == 1) and v + 1 or v - 1
   local token = string.format("bt%041d", v)
   return wrk.format("GET", "/v1/users/" .. subject .. "/avatar",
                     {["Cookie"] = cookie_name .. "=" .. token})
end
