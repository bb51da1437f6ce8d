// Interop with Microsoft's official Blob SDK (@azure/storage-blob), driven by the C# tests.
//   node blobs.mjs read  <connectionString> <container> <blobName>
//     downloads the blob and prints {contentType, contentEncoding, metadata, length, sha256, inflatedSha256, inflatedText?}
//     where inflated* decode the stored bytes by their content-encoding with Node's own zlib.
//   node blobs.mjs write <connectionString> <container> <blobName> <encoding: gzip|br|identity> <sizeBytes>
//     writes deterministic chat-like text of that size, compressed with Node's zlib, with content type,
//     content encoding and metadata {rawbytes, sha256, codec}, in blocks of 1 MiB; prints what it wrote.
import { BlobServiceClient } from "@azure/storage-blob";
import { createHash } from "node:crypto";
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync, inflateSync } from "node:zlib";

const [command, connectionString, containerName, blobName, encoding, size] = process.argv.slice(2);
const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex").toUpperCase();

function inflate(bytes, contentEncoding) {
  switch (contentEncoding ?? "identity") {
    case "br": return brotliDecompressSync(bytes);
    case "gzip": return gunzipSync(bytes);
    case "deflate": return inflateSync(bytes);
    default: return bytes;
  }
}

function chatText(length) {
  const lines = [];
  let total = 0;
  for (let i = 0; total < length; i++) {
    const line = JSON.stringify({ role: i % 2 ? "assistant" : "user", content: `Message ${i}: the quick brown fox jumps over the lazy dog — ünïcödé ✓`, seq: i }) + "\n";
    lines.push(line);
    total += Buffer.byteLength(line);
  }
  return Buffer.from(lines.join("")).subarray(0, length);
}

async function read() {
  const blob = container.getBlockBlobClient(blobName);
  const bytes = await blob.downloadToBuffer();
  const properties = await blob.getProperties();
  const inflated = inflate(bytes, properties.contentEncoding);
  return {
    contentType: properties.contentType ?? null,
    contentEncoding: properties.contentEncoding ?? null,
    metadata: properties.metadata ?? {},
    length: bytes.length,
    sha256: sha256(bytes),
    inflatedLength: inflated.length,
    inflatedSha256: sha256(inflated),
  };
}

async function write() {
  const raw = chatText(Number(size));
  const stored = encoding === "gzip" ? gzipSync(raw) : encoding === "br" ? brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }) : raw;
  const blob = container.getBlockBlobClient(blobName);
  await blob.uploadData(stored, {
    blockSize: 1024 * 1024,
    maxSingleShotSize: 1024 * 1024,
    blobHTTPHeaders: { blobContentType: "application/x-ndjson", blobContentEncoding: encoding === "identity" ? undefined : encoding },
    metadata: { rawbytes: String(raw.length), sha256: sha256(raw), codec: encoding },
  });
  return { rawLength: raw.length, rawSha256: sha256(raw), storedLength: stored.length, storedSha256: sha256(stored) };
}

try {
  const result = command === "read" ? await read() : command === "write" ? await write() : null;
  if (result === null) {
    console.error(`unknown command ${command}`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(result));
} catch (e) {
  console.error(e?.stack ?? String(e));
  process.exit(1);
}
