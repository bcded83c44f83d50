// A Creatify Product-to-Video client in Node.js (18+, global fetch), for verify-client.
const base = process.env.CREATIFY_API_BASE_URL;
const headers = {
  "X-API-ID": process.env.CREATIFY_API_ID,
  "X-API-KEY": process.env.CREATIFY_API_KEY,
  "Content-Type": "application/json",
};
const pollMs = Number(process.env.POLL_SECONDS ?? "1") * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path, body) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 429 || response.status === 503) {
      // Nothing was processed: wait as told, then send the same request again.
      await sleep(Number(response.headers.get("Retry-After") ?? "1") * 1000);
      continue;
    }
    const data = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(data)}`);
    return data;
  }
  throw new Error(`${method} ${path}: still throttled after 5 tries`);
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
