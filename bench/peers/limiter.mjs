// rate-limiter-flexible's RateLimiterRedis over ioredis, with the workload of
// `frontdesk bench-limiter`: 1000/min, 24,000 decisions over 64 callers,
// 500 decisions per key, all allowed. Prints one JSON line.
import Redis from "ioredis";
import { RateLimiterRedis } from "rate-limiter-flexible";

const DECISIONS = 24_000;
const PER_KEY = 500;
const CALLERS = Number(process.env.CALLERS ?? 64);

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
  enableOfflineQueue: true,
});
const limiter = new RateLimiterRedis({
  storeClient: redis,
  points: 1000,
  duration: 60,
  keyPrefix: `peer-bench-${process.pid}-${Date.now()}`,
});

async function caller(id, times) {
  for (let i = 0; i < DECISIONS / CALLERS; i++) {
    const key = `${id}:${Math.floor(i / PER_KEY)}`;
    const started = process.hrtime.bigint();
    await limiter.consume(key, 1); // rejects when denied: none is, below the limit
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
}

// Warm-up: the connection and the script cache.
await Promise.all(Array.from({ length: CALLERS }, (_, id) => limiter.consume(`warm:${id}`, 1)));
const times = [];
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: CALLERS }, (_, id) => caller(id, times)));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    peer: "rate-limiter-flexible RateLimiterRedis",
    callers: CALLERS,
    decisions_per_s: times.length / seconds,
    p50_us: times[Math.floor(times.length / 2)],
    p99_us: times[Math.floor((times.length * 99) / 100)],
  }),
);
redis.disconnect();
