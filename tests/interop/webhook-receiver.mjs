// Standard Webhooks reference check with the `standardwebhooks` package, driven by the C# tests.
//   node webhook-receiver.mjs verify <whsec_secret> <webhook-id> <webhook-timestamp> <webhook-signature> <body>
//     verifies one delivery as a receiver would and prints {ok, error?, payload?}.
//   node webhook-receiver.mjs serve <port> <logFile>
//     a receiver: verifies every POST with the secret in header-less env WEBHOOK_SECRET (whsec_…), appends
//     {id, timestamp, ok, path} as one JSON line per delivery to <logFile>, answers 200 when valid, 400 otherwise.
import { Webhook } from "standardwebhooks";
import { createServer } from "node:http";
import { appendFileSync } from "node:fs";

const [command, ...args] = process.argv.slice(2);

function verify(secret, id, timestamp, signature, body) {
  try {
    const payload = new Webhook(secret).verify(body, { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature });
    return { ok: true, payload };
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e) };
  }
}

if (command === "verify") {
  const [secret, id, timestamp, signature, body] = args;
  process.stdout.write(JSON.stringify(verify(secret, id, timestamp, signature, body)));
} else if (command === "serve") {
  const [port, logFile] = args;
  const secret = process.env.WEBHOOK_SECRET;
  createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const h = req.headers;
      const result = verify(secret, h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body);
      appendFileSync(logFile, JSON.stringify({ id: h["webhook-id"], timestamp: h["webhook-timestamp"], ok: result.ok, path: req.url }) + "\n");
      res.writeHead(result.ok ? 200 : 400, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: result.ok }));
    });
  }).listen(Number(port), "127.0.0.1");
} else {
  process.stderr.write("usage: webhook-receiver.mjs verify|serve …\n");
  process.exit(2);
}
