// What the generator measures: delivery latencies (10 µs buckets up to 100 ms, exact beyond) and
// the server process's CPU time and resident memory, read from /proc.
import { readFileSync } from 'node:fs';
import { nowUs } from './clients.mjs';

const BUCKET_US = 10;
const BUCKETS = 10_000;

export class Recorder {
  constructor() {
    this.refused = 0;  // error replies to sends (OutLoud) or -ERR (NATS): a step with any fails
    this.begin(0);
  }

  // Starts counting deliveries of `step`; markers of other steps count as stale.
  begin(step) {
    this.step = step;
    this.received = 0;
    this.stale = 0;
    this.buckets = new Uint32Array(BUCKETS);
    this.slow = [];
  }

  hit(step, seq, sentUs) {
    if (step !== this.step) { this.stale++; return; }
    this.received++;
    const latency = nowUs() - sentUs;
    const bucket = Math.floor(latency / BUCKET_US);
    if (bucket < BUCKETS) this.buckets[bucket < 0 ? 0 : bucket]++;
    else this.slow.push(latency);
  }

  // The p-th percentile latency in ms (upper edge of its bucket), or null with nothing received.
  percentileMs(p) {
    if (this.received === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.received));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return ((i + 1) * BUCKET_US) / 1000;
    }
    const slow = this.slow.sort((a, b) => a - b);
    return slow[Math.min(slow.length - 1, rank - seen - 1)] / 1000;
  }
}

const CLOCK_TICKS = 100;  // USER_HZ: /proc reports CPU time in 1/100 s on Linux

// utime + stime of the whole process (every thread), in seconds.
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits until the server has used (almost) no CPU for `windowMs`, at most `maxMs`.
export async function waitQuiet(pid, { windowMs = 300, maxMs = 20000 } = {}) {
  const until = Date.now() + maxMs;
  let last = cpuSeconds(pid);
  while (Date.now() < until) {
    await sleep(windowMs);
    const now = cpuSeconds(pid);
    if (now - last <= 0.02 * (windowMs / 1000) + 0.011) return true;
    last = now;
  }
  return false;
}

// Waits until `done()` or until nothing changed in `progress()` for `stallMs`, at most `maxMs`.
export async function waitFor(done, progress, { stallMs = 1000, maxMs = 10000, everyMs = 20 } = {}) {
  const until = Date.now() + maxMs;
  let last = progress();
  let lastChange = Date.now();
  while (!done() && Date.now() < until) {
    await sleep(everyMs);
    const now = progress();
    if (now !== last) { last = now; lastChange = Date.now(); } else if (Date.now() - lastChange >= stallMs) break;
  }
  return done();
}
