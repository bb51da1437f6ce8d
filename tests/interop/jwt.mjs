// Mints the JWT attack matrix with an independent library (jose), for the C# identity tests.
//   node jwt.mjs hs  <secret> <issuer> <audience>  -> {"tokens": {case: token}}
//   node jwt.mjs jwks <issuer> <audience>          -> {"jwks": {...public keys...}, "tokens": {case: token}}
import { createHmac } from "node:crypto";
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, exportSPKI, base64url } from "jose";

const [mode, ...args] = process.argv.slice(2);
const now = Math.floor(Date.now() / 1000);
const user = "8f14e45f-ceea-467f-a1b2-0123456789ab";

async function sign(claims, key, alg, header = {}, options = undefined) {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...header }).sign(key, options);
}

// jose refuses to produce a "crit" that is empty or malformed (RFC 7515 §4.1.11), so those tokens are
// HS256-signed by hand; validHandSigned proves the hand signing itself is accepted.
function signByHand(header, claims, secret) {
  const input = `${base64url.encode(JSON.stringify({ alg: "HS256", typ: "JWT", ...header }))}.${base64url.encode(JSON.stringify(claims))}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

// A JWS extension no recipient here understands, marked critical: the token must be refused.
const unknownExtension = { crit: ["urn:example:policy"], "urn:example:policy": "strict" };

function tamper(token) {
  const [h, p, s] = token.split(".");
  const payload = JSON.parse(Buffer.from(p, "base64url").toString());
  payload.sub = "someone-else";
  return [h, base64url.encode(JSON.stringify(payload)), s].join(".");
}

function noneToken(claims) {
  return new UnsecuredJWT(claims).encode();
}

function session(iss, aud, extra = {}) {
  return { iss, aud, sub: user, role: "authenticated", iat: now, exp: now + 3600, ...extra };
}

async function hs(secretText, iss, aud) {
  const secret = new TextEncoder().encode(secretText);
  const valid = await sign(session(iss, aud), secret, "HS256");
  const { sub, ...withoutSub } = session(iss, aud);
  const { exp, ...withoutExp } = session(iss, aud);
  return {
    tokens: {
      valid,
      expiredWithinSkew: await sign(session(iss, aud, { iat: now - 3600, exp: now - 20 }), secret, "HS256"),
      algNone: noneToken(session(iss, aud)),
      algNoneUppercase: noneToken(session(iss, aud)).replace(/^[^.]+/, base64url.encode(JSON.stringify({ alg: "NONE", typ: "JWT" }))),
      expired: await sign(session(iss, aud, { iat: now - 7200, exp: now - 600 }), secret, "HS256"),
      notYetValid: await sign(session(iss, aud, { nbf: now + 600 }), secret, "HS256"),
      noExp: await sign(withoutExp, secret, "HS256"),
      wrongAudience: await sign(session(iss, "some-other-api"), secret, "HS256"),
      wrongIssuer: await sign(session("https://evil.example/auth/v1", aud), secret, "HS256"),
      noSub: await sign(withoutSub, secret, "HS256"),
      wrongSecret: await sign(session(iss, aud), new TextEncoder().encode("another-secret-that-is-long-enough-0123456789"), "HS256"),
      hs512: await sign(session(iss, aud), secret, "HS512"),
      supabaseAnonKey: await sign({ iss: "supabase", ref: "abcdefghijklmnop", role: "anon", iat: now, exp: now + 315360000 }, secret, "HS256"),
      supabaseServiceRoleKey: await sign({ iss: "supabase", ref: "abcdefghijklmnop", role: "service_role", iat: now, exp: now + 315360000 }, secret, "HS256"),
      anonRoleWithIssuerAndAudience: await sign(session(iss, aud, { role: "anon" }), secret, "HS256"),
      tampered: tamper(valid),
      critUnknownExtension: await sign(session(iss, aud), secret, "HS256", unknownExtension, { crit: { "urn:example:policy": true } }),
      validHandSigned: signByHand({}, session(iss, aud), secret),
      critEmpty: signByHand({ crit: [] }, session(iss, aud), secret),
      critNotAnArray: signByHand({ crit: "urn:example:policy", "urn:example:policy": "strict" }, session(iss, aud), secret),
      critNotStrings: signByHand({ crit: [7] }, session(iss, aud), secret),
      critNull: signByHand({ crit: null }, session(iss, aud), secret),
      critNamingAbsentHeader: signByHand({ crit: ["urn:example:absent"] }, session(iss, aud), secret),
      roleArray: await sign(session(iss, aud, { role: ["authenticated"] }), secret, "HS256"),
      roleArrayWithServiceRole: await sign(session(iss, aud, { role: ["authenticated", "service_role"] }), secret, "HS256"),
      roleNumber: await sign(session(iss, aud, { role: 1 }), secret, "HS256"),
      roleObject: await sign(session(iss, aud, { role: { name: "authenticated" } }), secret, "HS256"),
      roleNull: await sign(session(iss, aud, { role: null }), secret, "HS256"),
      roleTrue: await sign(session(iss, aud, { role: true }), secret, "HS256"),
      subArray: await sign(session(iss, aud, { sub: [user, "someone-else"] }), secret, "HS256"),
    },
  };
}

async function jwks(iss, aud) {
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const ec = await generateKeyPair("ES256", { extractable: true });
  const stranger = await generateKeyPair("RS256", { extractable: true });
  const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
  const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" };
  const publicPem = await exportSPKI(rsa.publicKey);
  const valid = await sign(session(iss, aud), rsa.privateKey, "RS256", { kid: "rsa-1" });
  return {
    jwks: { keys: [rsaJwk, ecJwk] },
    tokens: {
      validRs256: valid,
      validEs256: await sign(session(iss, aud), ec.privateKey, "ES256", { kid: "ec-1" }),
      hs256WithRsaPublicKey: await sign(session(iss, aud), new TextEncoder().encode(publicPem), "HS256", { kid: "rsa-1" }),
      hs256WithRsaPublicKeyNoKid: await sign(session(iss, aud), new TextEncoder().encode(publicPem), "HS256"),
      unknownKey: await sign(session(iss, aud), stranger.privateKey, "RS256", { kid: "rsa-9" }),
      unknownKeyClaimingKnownKid: await sign(session(iss, aud), stranger.privateKey, "RS256", { kid: "rsa-1" }),
      algNone: noneToken(session(iss, aud)),
      expired: await sign(session(iss, aud, { iat: now - 7200, exp: now - 600 }), rsa.privateKey, "RS256", { kid: "rsa-1" }),
      wrongAudience: await sign(session(iss, "some-other-api"), rsa.privateKey, "RS256", { kid: "rsa-1" }),
      tampered: tamper(valid),
      critUnknownExtension: await sign(session(iss, aud), rsa.privateKey, "RS256", { kid: "rsa-1", ...unknownExtension }, { crit: { "urn:example:policy": true } }),
      roleArray: await sign(session(iss, aud, { role: ["authenticated"] }), rsa.privateKey, "RS256", { kid: "rsa-1" }),
    },
  };
}

try {
  const result = mode === "hs" ? await hs(...args) : mode === "jwks" ? await jwks(...args) : null;
  if (result === null) {
    console.error(`unknown mode ${mode}`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(result));
} catch (e) {
  console.error(e?.stack ?? String(e));
  process.exit(1);
}
