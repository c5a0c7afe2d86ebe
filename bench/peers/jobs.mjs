// graphile-worker with the workload of `frontdesk bench-jobs`: 20,000 no-op
// jobs already queued, drained by one process at concurrency 8; then 2,000
// jobs enqueued one at a time about 5 ms apart, each timed from enqueue to
// start. Needs PEER_DATABASE_URL (a database of its own). Prints one JSON line.
import { Logger, makeWorkerUtils, run } from "graphile-worker";

const JOBS = 20_000;
const TRICKLE = 2_000;
const connectionString = process.env.PEER_DATABASE_URL;
if (!connectionString) throw new Error("PEER_DATABASE_URL is not set");
const logger = new Logger(() => () => {});

const utils = await makeWorkerUtils({ connectionString, logger });
await utils.migrate();
await utils.withPgClient((pg) => pg.query("DELETE FROM graphile_worker._private_jobs"));
await utils.withPgClient((pg) =>
  pg.query("SELECT graphile_worker.add_job('noop', json_build_object('i', i)) FROM generate_series(1, $1) i", [JOBS]),
);

let done = 0;
let allDone;
const finished = new Promise((resolve) => (allDone = resolve));
const delays = [];
const taskList = {
  noop: async () => {},
  timed: async (payload) => {
    delays.push(Date.now() - payload.at);
  },
};
const runner = await run({ connectionString, concurrency: 8, noHandleSignals: true, pollInterval: 1000, taskList, logger });
const started = process.hrtime.bigint();
runner.events.on("job:success", () => {
  done += 1;
  if (done === JOBS) allDone();
});
await finished;
const drain = Number(process.hrtime.bigint() - started) / 1e9;

for (let i = 0; i < TRICKLE; i++) {
  await utils.addJob("timed", { at: Date.now() });
  await new Promise((r) => setTimeout(r, 5));
}
while (delays.length < TRICKLE) await new Promise((r) => setTimeout(r, 20));
delays.sort((a, b) => a - b);
await runner.stop();
await utils.release();
console.log(
  JSON.stringify({
    peer: "graphile-worker",
    jobs_per_s: JOBS / drain,
    drain_s: drain,
    start_delay_p50_ms: delays[Math.floor(TRICKLE / 2)],
    start_delay_p99_ms: delays[Math.floor((TRICKLE * 99) / 100)],
  }),
);
