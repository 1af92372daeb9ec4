// Compatibility flows: the real `better-auth/client` SDK (pinned in package.json)
// against a Better-Auth compatible server (Authmesh's gateway or the reference peer).
//
// Env:
//   AUTH_BASE_URL   server origin, e.g. http://localhost:3100 (required; "/api/auth" is the SDK default base path)
//   AUTH_ORIGIN     Origin header sent on every request; must be a trusted origin of the server
//                   (default: AUTH_BASE_URL's origin, which Better-Auth always trusts)
//   AUTH_CLIENT_IP  X-Forwarded-For sent on every request, so per-IP rate limits of one run do not
//                   collide with other tests (default: a random 10.x.y.z per run)
//   COMPAT_TRACE=1  log every HTTP exchange (method, path, status, Set-Cookie, body) to stderr
//
// Output: one JSON line per flow {flow, ok, detail} on stdout, then "<n> passed, <m> failed".
// Exit code 0 iff every flow passed.
import { createAuthClient } from "better-auth/client";

const BASE_URL = (process.env.AUTH_BASE_URL || "").replace(/\/+$/, "");
if (!BASE_URL) {
  console.error("AUTH_BASE_URL is required (e.g. http://localhost:3100)");
  process.exit(2);
}
const ORIGIN = process.env.AUTH_ORIGIN || new URL(BASE_URL).origin;
const rnd = (n) => Math.floor(Math.random() * n);
const CLIENT_IP = process.env.AUTH_CLIENT_IP || `10.${rnd(256)}.${rnd(256)}.${1 + rnd(254)}`;
const TRACE = process.env.COMPAT_TRACE === "1";

// ---------------------------------------------------------------- cookie jar
// Node's fetch has no cookie jar. This one is keyed by cookie name (single host, Path=/),
// which is all a Better-Auth client needs.
const jar = new Map(); // name -> raw (still URL-encoded) value

function storeSetCookie(line) {
  const [pair, ...attrs] = line.split(";");
  const eq = pair.indexOf("=");
  if (eq <= 0) return;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  let expired = value === "";
  for (const a of attrs) {
    const [k, v = ""] = a.split("=");
    const key = k.trim().toLowerCase();
    if (key === "max-age" && Number(v.trim()) <= 0) expired = true;
    if (key === "expires" && Date.parse(v.trim()) <= Date.now()) expired = true;
  }
  if (expired) jar.delete(name);
  else jar.set(name, value);
}

const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
const sessionCookieName = () => [...jar.keys()].find((k) => /(^|\.)session_token$/.test(k));
const snapshotJar = () => new Map(jar);
function restoreJar(snapshot, onlyNames) {
  jar.clear();
  for (const [k, v] of snapshot) if (!onlyNames || onlyNames.includes(k)) jar.set(k, v);
}

// The raw exchange of the most recent response (for assertions the SDK does not expose).
let last = { method: "", path: "", status: 0, setCookies: [] };

// ---------------------------------------------------------------- client
const client = createAuthClient({
  baseURL: BASE_URL,
  fetchOptions: {
    onRequest(ctx) {
      const h = ctx.headers; // a Headers instance built by better-fetch
      const cookies = cookieHeader();
      if (cookies) h.set("cookie", cookies);
      else h.delete("cookie");
      h.set("origin", ORIGIN);
      h.set("x-forwarded-for", CLIENT_IP);
      return ctx;
    },
    async onResponse(ctx) {
      const res = ctx.response;
      const url = new URL(String(ctx.request.url));
      const setCookies =
        typeof res.headers.getSetCookie === "function" ? res.headers.getSetCookie() : [];
      for (const line of setCookies) storeSetCookie(line);
      last = { method: ctx.request.method, path: url.pathname + url.search, status: res.status, setCookies };
      if (TRACE) {
        const body = await res.clone().text();
        console.error(
          JSON.stringify({
            trace: `${last.method} ${last.path}`,
            status: res.status,
            contentType: res.headers.get("content-type"),
            setCookie: setCookies,
            setAuthToken: res.headers.get("set-auth-token"),
            body: body.length > 600 ? body.slice(0, 600) + "…" : body,
          }),
        );
      }
    },
  },
});

// ---------------------------------------------------------------- helpers
class Fail extends Error {}
function check(cond, msg) {
  if (!cond) throw new Fail(msg);
}
const show = (v) => {
  const s = JSON.stringify(v);
  return s && s.length > 300 ? s.slice(0, 300) + "…" : s;
};
function expectData(res, what) {
  check(res && typeof res === "object" && "data" in res && "error" in res, `${what}: SDK did not return {data, error}`);
  check(res.error === null, `${what}: unexpected error ${show(res.error)}`);
  check(res.data !== null && typeof res.data === "object", `${what}: data is ${show(res.data)}`);
  return res.data;
}
function expectError(res, status, code, what) {
  check(res.data === null, `${what}: expected data null, got ${show(res.data)}`);
  check(res.error, `${what}: expected an error, got none`);
  check(res.error.status === status, `${what}: expected status ${status}, got ${res.error.status} ${show(res.error)}`);
  check(res.error.code === code, `${what}: expected code ${code}, got ${show(res.error.code)}`);
  check(typeof res.error.message === "string" && res.error.message.length > 0, `${what}: error.message missing`);
  return res.error;
}
// The session cookie set by the last response: `<token>.<44-char base64 HMAC>`, URL-encoded.
function lastSessionCookie() {
  for (const line of last.setCookies) {
    const [pair] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (/(^|\.)session_token$/.test(name) && value) return { name, value, line };
  }
  return null;
}
function checkSessionCookieFor(token, what) {
  const c = lastSessionCookie();
  check(c, `${what}: no session_token Set-Cookie (got ${show(last.setCookies)})`);
  const decoded = decodeURIComponent(c.value);
  const dot = decoded.lastIndexOf(".");
  check(dot > 0, `${what}: session cookie is not <token>.<signature>: ${c.value}`);
  check(decoded.slice(0, dot) === token, `${what}: session cookie token != data.token`);
  check(/^[A-Za-z0-9+/]{43}=$/.test(decoded.slice(dot + 1)), `${what}: cookie signature is not 44-char base64`);
  check(/;\s*HttpOnly/i.test(c.line) && /;\s*Path=\//i.test(c.line), `${what}: session cookie lacks HttpOnly/Path=/: ${c.line}`);
  return c;
}

// ---------------------------------------------------------------- flows
const stamp = `${Date.now().toString(36)}${rnd(1e6).toString(36)}`;
const EMAIL = `compat-${stamp}@example.com`;
const PASSWORD = `Compat-pass-${stamp}`;
const NAME = "Compat Client";
const state = { userId: null, signInToken: null };

const flows = [
  [
    "a_sign_up",
    async () => {
      const data = expectData(
        await client.signUp.email({ email: EMAIL, password: PASSWORD, name: NAME }),
        "signUp.email",
      );
      check(data.user && data.user.email === EMAIL, `user.email ${show(data.user?.email)} != ${EMAIL}`);
      check(typeof data.user.id === "string" && data.user.id.length > 0, "user.id missing");
      check(data.user.name === NAME, `user.name ${show(data.user.name)}`);
      check(data.user.emailVerified === false, `user.emailVerified ${show(data.user.emailVerified)}`);
      check(data.user.createdAt instanceof Date, `user.createdAt ${show(data.user.createdAt)} is not an ISO-8601 date`);
      check(typeof data.token === "string" && data.token.length > 0, `token is ${show(data.token)}`);
      const c = checkSessionCookieFor(data.token, "signUp.email");
      check(jar.has(c.name), "session cookie not kept by the jar");
      state.userId = data.user.id;
      return { userId: data.user.id, cookie: c.name };
    },
  ],
  [
    "b_get_session",
    async () => {
      const data = expectData(await client.getSession(), "getSession");
      check(data.user?.id === state.userId, `user.id ${show(data.user?.id)} != ${state.userId}`);
      check(data.session?.userId === state.userId, `session.userId ${show(data.session?.userId)}`);
      check(data.user.email === EMAIL, `user.email ${show(data.user.email)}`);
      // The SDK's JSON parser turns ISO-8601 strings (…T…Z / ±hh:mm) into Date objects.
      check(data.session.expiresAt instanceof Date && data.session.expiresAt.getTime() > Date.now(),
        `session.expiresAt ${show(data.session.expiresAt)} is not a future date (ISO-8601 string expected on the wire)`);
      return { sessionId: data.session.id };
    },
  ],
  [
    "c_sign_out",
    async () => {
      const data = expectData(await client.signOut(), "signOut");
      check(data.success === true, `signOut data ${show(data)}`);
      check(!sessionCookieName(), `session cookie still in jar after sign-out: ${show(last.setCookies)}`);
      const after = await client.getSession();
      check(after.error === null && after.data === null, `getSession after sign-out: ${show(after)}`);
      return "signed out; getSession → null";
    },
  ],
  [
    "d_sign_in",
    async () => {
      const data = expectData(
        await client.signIn.email({ email: EMAIL, password: PASSWORD }),
        "signIn.email",
      );
      check(data.user?.id === state.userId, `user.id ${show(data.user?.id)} != ${state.userId}`);
      check(data.user.email === EMAIL, `user.email ${show(data.user.email)}`);
      check(typeof data.token === "string" && data.token.length > 0, `token is ${show(data.token)}`);
      check(data.redirect === false, `redirect ${show(data.redirect)} (no callbackURL given)`);
      checkSessionCookieFor(data.token, "signIn.email");
      const s = expectData(await client.getSession(), "getSession after sign-in");
      check(s.user?.id === state.userId && s.session?.userId === state.userId, `getSession ${show(s)}`);
      check(s.session.token === data.token, "getSession session.token != sign-in token");
      state.signInToken = data.token;
      return "signed in; getSession ok";
    },
  ],
  [
    "e_wrong_password",
    async () => {
      const before = sessionCookieName() && jar.get(sessionCookieName());
      const res = await client.signIn.email({ email: EMAIL, password: `${PASSWORD}-wrong` });
      expectError(res, 401, "INVALID_EMAIL_OR_PASSWORD", "signIn.email wrong password");
      check(!lastSessionCookie(), `failed sign-in set a session cookie: ${show(last.setCookies)}`);
      check(before && jar.get(sessionCookieName()) === before, "existing session cookie was disturbed");
      return { status: res.error.status, code: res.error.code, message: res.error.message };
    },
  ],
  [
    "f_duplicate_sign_up",
    async () => {
      const res = await client.signUp.email({ email: EMAIL, password: PASSWORD, name: NAME });
      expectError(res, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "duplicate signUp.email");
      check(!lastSessionCookie(), `duplicate sign-up set a session cookie: ${show(last.setCookies)}`);
      return { status: res.error.status, code: res.error.code, message: res.error.message };
    },
  ],
  [
    "g_password_too_short",
    async () => {
      const res = await client.signUp.email({
        email: `compat-short-${stamp}@example.com`,
        password: "short",
        name: NAME,
      });
      expectError(res, 400, "PASSWORD_TOO_SHORT", "signUp.email short password");
      check(!lastSessionCookie(), `rejected sign-up set a session cookie: ${show(last.setCookies)}`);
      return { status: res.error.status, code: res.error.code, message: res.error.message };
    },
  ],
  [
    "h_old_cookie_after_sign_out",
    async () => {
      const name = sessionCookieName();
      check(name, "no live session to sign out (flow d failed?)");
      const s = expectData(await client.getSession(), "getSession before sign-out");
      check(s.session?.userId === state.userId, "no live session before sign-out");
      const old = snapshotJar();
      const out = expectData(await client.signOut(), "signOut");
      check(out.success === true, `signOut data ${show(out)}`);
      // Replay the old (now revoked) session token cookie: the server must not accept it.
      restoreJar(old, [name]);
      const r1 = await client.getSession();
      check(r1.error === null && r1.data === null, `getSession with revoked token cookie: ${show(r1)}`);
      // Replay the whole old jar (session_data cookie-cache included), bypassing the cookie cache.
      restoreJar(old);
      const r2 = await client.getSession({ query: { disableCookieCache: true } });
      check(r2.error === null && r2.data === null, `getSession(disableCookieCache) with old jar: ${show(r2)}`);
      // Informational only (not asserted): Better-Auth serves a still-valid session_data
      // cookie-cache blob without reading the DB, so a full replay may still "see" a session.
      restoreJar(old);
      const r3 = await client.getSession();
      jar.clear();
      return { revokedTokenReplay: null, fullJarReplayCookieCache: r3.data ? "session (cookie cache)" : r3.data };
    },
  ],
];

let passed = 0;
let failed = 0;
for (const [flow, fn] of flows) {
  let ok = false;
  let detail;
  try {
    detail = await fn();
    ok = true;
  } catch (e) {
    if (e instanceof Fail) detail = e.message;
    else {
      const cause = e?.cause ? ` (cause: ${e.cause.code || ""} ${e.cause.message || e.cause})` : "";
      detail = `exception: ${e?.message ?? e}${cause} ${String(e?.stack || "").split("\n")[1]?.trim() ?? "?"}`;
    }
  }
  if (ok) passed++;
  else failed++;
  console.log(JSON.stringify({ flow, ok, detail }));
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
