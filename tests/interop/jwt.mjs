// Mints the JWT attack matrix with an independent library (jose), for the C# identity tests.
//   node jwt.mjs hs  <secret> <issuer> <audience>  -> {"tokens": {case: token}}
//   node jwt.mjs jwks <issuer> <audience>          -> {"jwks": {...public keys...}, "tokens": {case: token}}
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, exportSPKI, base64url } from "jose";

const [mode, ...args] = process.argv.slice(2);
const now = Math.floor(Date.now() / 1000);
const user = "8f14e45f-ceea-467f-a1b2-0123456789ab";

async function sign(claims, key, alg, header = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...header }).sign(key);
}

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
