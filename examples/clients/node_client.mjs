// A Creatify Product-to-Video client in Node.js (18+, global fetch), for verify-client.
const base = process.env.CREATIFY_API_BASE_URL;
const headers = {
  "X-API-ID": process.env.CREATIFY_API_ID,
  "X-API-KEY": process.env.CREATIFY_API_KEY,
  "Content-Type": "application/json",
};
const pollMs = Number(process.env.POLL_SECONDS ?? "1") * 1000;
const timeoutMs = Number(process.env.REQUEST_TIMEOUT_SECONDS ?? "10") * 1000;
// Nothing was processed: the API's throttle and outage, or a gateway whose app is down.
const RETRIED = [429, 502, 503, 504];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path, body) {
  for (let attempt = 0; attempt < 5; attempt++) {
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs), // a stalled answer must not hang us
      });
    } catch (error) {
      // A GET that timed out or was cut off is safe to send again; a POST is not: its
      // record may have been made (and paid for) with the answer lost.
      if (method !== "GET") throw new Error(`${method} ${path}: no answer (${error.cause ?? error}); not sent again, the record may exist`);
      await sleep(1000);
      continue;
    }
    if (RETRIED.includes(response.status)) {
      await sleep(Number(response.headers.get("Retry-After") ?? "1") * 1000);
      continue;
    }
    const text = await response.text(); // the status first: a gateway's body is not JSON
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }
  throw new Error(`${method} ${path}: still failing after 5 tries`);
}

async function waitFor(id, goal) {
  for (;;) {
    const record = await call("GET", `/api/product_to_videos/${id}/`);
    if (record.status === goal) return record;
    if (record.status === "failed") throw new Error(`failed: ${record.failed_reason || "no reason"}`);
    await sleep(pollMs);
  }
}

try {
  const created = await call("POST", "/api/product_to_videos/gen_image/", {
    product_url: process.env.CREATIFY_PRODUCT_URL,
  });
  await waitFor(created.id, "image_generated");
  await call("POST", `/api/product_to_videos/${created.id}/gen_video/`, {});
  const done = await waitFor(created.id, "video_generated");
  console.log(done.generated_video_url);
} catch (error) {
  console.error(String(error));
  process.exit(1);
}
