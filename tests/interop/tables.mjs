// Interop with Microsoft's official Table SDK (@azure/data-tables), driven by the C# tests.
//   node tables.mjs read  <connectionString> <table> <partitionKey>
//     prints every entity of the partition as JSON: {rowKey, partitionKey, props: {name: {type, value}}}
//     with the Edm type the official SDK reports for each property (type conversion disabled).
//   node tables.mjs write <connectionString> <table> <partitionKey>
//     writes a fixed set of entities covering every Edm type, awkward keys and maximum sizes,
//     then prints what it wrote in the same shape as `read`.
import { TableClient } from "@azure/data-tables";

const [command, connectionString, tableName, partitionKey] = process.argv.slice(2);
const client = TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true });

function describe(entity) {
  const props = {};
  for (const [name, raw] of Object.entries(entity)) {
    if (["partitionKey", "rowKey", "etag", "timestamp", "odata.metadata"].includes(name)) continue;
    if (raw !== null && typeof raw === "object" && "type" in raw) {
      props[name] = { type: raw.type, value: String(raw.value) };
    } else if (typeof raw === "boolean") {
      props[name] = { type: "Boolean", value: String(raw) };
    } else if (typeof raw === "number") {
      // An unannotated JSON number: JavaScript cannot tell 2 from 2.0, so neither can the SDK.
      props[name] = { type: "Number", value: String(raw) };
    } else {
      props[name] = { type: "String", value: String(raw) };
    }
  }
  return { partitionKey: entity.partitionKey, rowKey: entity.rowKey, props };
}

async function read() {
  const out = [];
  const filter = `PartitionKey eq '${partitionKey.replaceAll("'", "''")}'`;
  for await (const entity of client.listEntities({ queryOptions: { filter }, disableTypeConversion: true })) {
    out.push(describe(entity));
  }
  return out;
}

async function write() {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const entities = [
    {
      partitionKey, rowKey: "every-type",
      Str: "plain", Uni: "Ünïcödé 中文 😀 'quoted'", Bool: true,
      I32: -2147483648,
      I64: { value: "9223372036854775807", type: "Int64" },
      DblWhole: { value: "2", type: "Double" },
      DblFrac: 0.1,
      DblNaN: { value: "NaN", type: "Double" },
      DblInf: { value: "Infinity", type: "Double" },
      DblNegInf: { value: "-Infinity", type: "Double" },
      When: { value: "2024-02-29T23:59:59.1234567Z", type: "DateTime" },
      Id: { value: "6f9619ff-8b86-d011-b42d-00c04fc964ff", type: "Guid" },
      Bin: bytes,
    },
    { partitionKey, rowKey: "O'Brien é😀 key", Str: "awkward row key" },
    { partitionKey, rowKey: "max-size", Big: "x".repeat(32 * 1024), BigBin: new Uint8Array(64 * 1024).fill(7) },
  ];
  for (const entity of entities) {
    await client.upsertEntity(entity, "Replace");
  }
  return read();
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
