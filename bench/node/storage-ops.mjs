// The "official" side of `bench/run storage --only ops`: Microsoft's JavaScript SDKs
// (@azure/data-tables, @azure/storage-blob) doing the same storage operations as our C# clients,
// against the same Azurite, timed here so process start-up and the pipe are not counted.
//
//   node storage-ops.mjs <connectionString> <table> <container>
//
// Driven by bench/Serverless.Bench/Storage/StorageOpsBenchmark.cs over stdin/stdout, one JSON object
// per line each way. On start it prints {"ready": true, "node", "dataTables", "storageBlob"}. Then, for
// each command {"op", "count", "tag"} it runs the operation `count` times, one at a time (each awaited
// before the next starts), and prints {"op", "count", "seconds", "cpuSeconds", "requests"}: the wall time of the loop,
// the CPU time this process used meanwhile (all its threads) and the HTTP requests it sent. {"op": "cleanup"} deletes
// the blobs the put operations created so far (Azurite keeps them in memory) and prints {"op", "deleted"}.
// Anything that fails prints {"error"} and the script exits 1.
//
// Operations (the C# side seeds the table partition "query" with rows r0000..r0999 and uploads the
// blobs get-1kib, get-1mib and get-16mib before the first command):
//   table.insert       insert one entity into a fresh partition ins-<tag>, unique row per op
//   table.get          read one entity of partition "query" (row i mod 1000)
//   table.query_page   read one page of 1,000 entities of partition "query" ($top=1000)
//   table.batch_100    one entity group transaction of 100 inserts into fresh partition batch-<tag>-<i>
//   blob.put_<size>    upload a fresh blob put-<tag>-<i> (deleted again by the next cleanup)
//   blob.get_<size>    download blob get-<size> whole into memory (downloadToBuffer)
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { randomBytes } from "node:crypto";
import { subscribe } from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

const [connectionString, tableName, containerName] = process.argv.slice(2);
if (!containerName) {
  console.error("usage: node storage-ops.mjs <connectionString> <table> <container>");
  process.exit(2);
}

const table = TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true });
const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);

// Same transfer shape as our BlobContainerClient defaults, so both sides send the same requests:
// one Put Blob up to 4 MiB, else 4 MiB blocks and a block list; one request in flight at a time.
const MiB = 1024 * 1024;
const uploadOptions = { maxSingleShotSize: 4 * MiB, blockSize: 4 * MiB, concurrency: 1 };
const downloadOptions = { concurrency: 1 };
const blobSizes = { "1kib": 1024, "1mib": MiB, "16mib": 16 * MiB };
const payloads = Object.fromEntries(Object.entries(blobSizes).map(([name, size]) => [name, randomBytes(size)]));

// Every HTTP request Node sends (the SDKs use node:http), for the requests-per-operation figure.
let requests = 0;
subscribe("http.client.request.start", () => { requests++; });

const rowKey = (i) => `r${String(i).padStart(4, "0")}`;
const body = "The quick brown fox jumps over the lazy dog. ".repeat(12).slice(0, 512);
const data = Uint8Array.from({ length: 192 }, (_, i) => (i * 7) % 256);

// The entity the C# side writes too (StorageOpsBenchmark.Entity): ten properties of mixed types, ~1.2 KiB of JSON.
function entity(partitionKey, i) {
  return {
    partitionKey,
    rowKey: rowKey(i),
    Name: `benchmark entity ${i}`,
    Body: body,
    Tag: "tag-0123456789",
    Count: i,
    Sequence: { value: String(1_000_000_000_000 + i), type: "Int64" },
    Score: { value: String(i + 0.5), type: "Double" },
    Active: i % 2 === 0,
    CreatedAt: new Date(Date.UTC(2024, 4, 1, 12, 34, 56, 789)),
    Id: { value: "6f9619ff-8b86-d011-b42d-00cf4fc964ff", type: "Guid" },
    Data: data,
  };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Blobs uploaded and not deleted yet.
const uploaded = [];

async function cleanUp() {
  const deleted = uploaded.length;
  for (const name of uploaded.splice(0)) await container.deleteBlob(name);
  return { op: "cleanup", deleted };
}

// Returns the function run once per operation, given its index.
function operation(op, tag) {
  switch (op) {
    case "table.insert":
      return (i) => table.createEntity(entity(`ins-${tag}`, i));
    case "table.get":
      return async (i) => {
        const got = await table.getEntity("query", rowKey(i % 1000));
        check(got.Body === body, "table.get: unexpected entity");
      };
    case "table.query_page":
      return async () => {
        const pages = table.listEntities({ queryOptions: { filter: "PartitionKey eq 'query'" } }).byPage({ maxPageSize: 1000 });
        const { value: page } = await pages.next();
        check(page.length === 1000, `table.query_page: got ${page.length} entities, not 1000`);
      };
    case "table.batch_100":
      return async (i) => {
        const partition = `batch-${tag}-${i}`;
        const actions = Array.from({ length: 100 }, (_, r) => ["create", entity(partition, r)]);
        const result = await table.submitTransaction(actions);
        check(result.status === 202 && result.subResponses.length === 100, "table.batch_100: unexpected response");
      };
  }

  const [, kind, size] = /^blob\.(put|get)_(\w+)$/.exec(op) ?? [];
  const payload = payloads[size];
  if (kind === "put" && payload) {
    return async (i) => {
      const name = `put-${tag}-${i}`;
      uploaded.push(name);
      await container.getBlockBlobClient(name).uploadData(payload, uploadOptions);
    };
  }

  if (kind === "get" && payload) {
    const blob = container.getBlobClient(`get-${size}`);
    return async () => {
      const bytes = await blob.downloadToBuffer(0, undefined, downloadOptions);
      check(bytes.length === payload.length, `${op}: downloaded ${bytes.length} bytes, not ${payload.length}`);
    };
  }

  throw new Error(`unknown operation '${op}'`);
}

async function run({ op, count, tag }) {
  const once = operation(op, tag);
  globalThis.gc?.();
  const requestsBefore = requests;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await once(i);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const sent = requests - requestsBefore;
  return { op, count, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, requests: sent };
}

function packageVersion(name) {
  // The package's own package.json, found next to its resolved entry point (exports hide the path).
  const require = createRequire(import.meta.url);
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (json.name === name) return json.version;
    } catch {
      // not this folder
    }
  }
  return "unknown";
}

const send = (value) => process.stdout.write(JSON.stringify(value) + "\n");

send({ ready: true, node: process.version, dataTables: packageVersion("@azure/data-tables"), storageBlob: packageVersion("@azure/storage-blob") });
try {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const command = JSON.parse(line);
    if (command.op === "exit") break;
    send(command.op === "cleanup" ? await cleanUp() : await run(command));
  }
} catch (error) {
  send({ error: String(error?.stack ?? error) });
  process.exit(1);
}
