// How long the first page takes to become interactive on a slow phone:
// Chromium with its CPU 4x slowed and DevTools' "Fast 3G" network, a cold
// cache each time, signed in as FD_EMAIL with FD_PASSWORD (`make demo`
// prints them). Prints the median of RUNS loads of PATH (default
// /calendar) until the page is hydrated, and what it transferred.
//   FD_EMAIL=... FD_PASSWORD=... node perf/first-page.mjs http://127.0.0.1:3000 [/calendar] [runs]
import { chromium } from "@playwright/test";

const [base, path = "/calendar", runsText = "5"] = process.argv.slice(2);
if (!base) {
  console.error("usage: node perf/first-page.mjs BASE_URL [PATH] [RUNS]");
  process.exit(2);
}
const runs = Number(runsText);
// DevTools' "Fast 3G" preset.
const fast3g = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 / 8) * 0.9, uploadThroughput: (750 * 1024 / 8) * 0.9 };

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium" });
const times = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ baseURL: base });
  const signedIn = await context.request.post("/api/sign-in", {
    form: { email: process.env.FD_EMAIL ?? "", password: process.env.FD_PASSWORD ?? "" },
    headers: { "sec-fetch-site": "same-origin" },
    maxRedirects: 0,
  });
  if (signedIn.status() >= 400) throw new Error(`sign-in failed: ${signedIn.status()}`);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", fast3g);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  let transferred = 0;
  cdp.on("Network.loadingFinished", (e) => { transferred += e.encodedDataLength; });
  const started = Date.now();
  await page.goto(base + path, { waitUntil: "commit" });
  // The signed-in frame marks the page once hydration has finished.
  await page.locator("[data-hydrated=true]").waitFor({ state: "attached", timeout: 120_000 });
  times.push(Date.now() - started);
  bytes = transferred;
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`${path}: interactive after ${(median / 1000).toFixed(2)} s (median of ${runs}; ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s), ${(bytes / 1024).toFixed(0)} KB transferred, CPU 4x slower, Fast 3G`);
