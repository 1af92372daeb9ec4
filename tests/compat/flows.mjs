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
//   AUTH_SECRET     the server's cookie secret: when set, the session_data cookie is read with
//                   Better-Auth's own getCookieCache, as an app's middleware would
//   AUTH_ADMIN_EMAIL / AUTH_ADMIN_PASSWORD  the server's seeded admin (default: the peer's)
//   AUTH_NO_DYNAMIC_AC=1  the server has no organization dynamic access control (the peer):
//                   the custom-roles flow is skipped
//
// Output: one JSON line per flow {flow, ok, detail} on stdout, then "<n> passed, <m> failed".
// Exit code 0 iff every flow passed.
import { createAuthClient } from "better-auth/client";
import { getCookieCache } from "better-auth/cookies";
import {
  adminClient,
  emailOTPClient,
  magicLinkClient,
  organizationClient,
  phoneNumberClient,
  twoFactorClient,
  usernameClient,
} from "better-auth/client/plugins";
import { jwtClient } from "better-auth/client/plugins";
import { createHmac } from "node:crypto";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { passkeyClient } from "@better-auth/passkey/client";
import { installSoftwareAuthenticator } from "./software_authenticator.mjs";

const BASE_URL = (process.env.AUTH_BASE_URL || "").replace(/\/+$/, "");
if (!BASE_URL) {
  console.error("AUTH_BASE_URL is required (e.g. http://localhost:3100)");
  process.exit(2);
}
const ORIGIN = process.env.AUTH_ORIGIN || new URL(BASE_URL).origin;
const rnd = (n) => Math.floor(Math.random() * n);
const CLIENT_IP = process.env.AUTH_CLIENT_IP || `10.${rnd(256)}.${rnd(256)}.${1 + rnd(254)}`;
// Flows that need their own per-IP rate-limit budget (3 sign-ups per 10 s) switch to another.
let clientIp = CLIENT_IP;
const otherClientIp = () => `172.${16 + rnd(16)}.${rnd(256)}.${1 + rnd(254)}`;
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
const twoFactorRedirects = []; // twoFactorMethods of each onTwoFactorRedirect call
const client = createAuthClient({
  baseURL: BASE_URL,
  plugins: [
    adminClient(),
    usernameClient(),
    phoneNumberClient(),
    emailOTPClient(),
    magicLinkClient(),
    passkeyClient(),
    twoFactorClient({ onTwoFactorRedirect: ({ twoFactorMethods }) => twoFactorRedirects.push(twoFactorMethods) }),
    organizationClient({ teams: { enabled: true }, dynamicAccessControl: { enabled: true } }),
  ],
  fetchOptions: {
    onRequest(ctx) {
      const h = ctx.headers; // a Headers instance built by better-fetch
      const cookies = cookieHeader();
      if (cookies) h.set("cookie", cookies);
      else h.delete("cookie");
      h.set("origin", ORIGIN);
      h.set("x-forwarded-for", clientIp);
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

// The newest text of `type` to `phone` in the test outbox (test-outbox.md), polled for up to 5 s.
async function textedCode(phone, type) {
  const url = `${BASE_URL}/__test/outbox?to=${encodeURIComponent(phone)}&type=${type}`;
  for (let i = 0; i < 50; i++) {
    const res = await fetch(url);
    if (res.status === 200) return (await res.json()).otp;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Fail(`no ${type} text to ${phone} in the test outbox`);
}

flows.push(
  [
    "i_username",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const username = `Compat_${stamp}`;
      const email = `compat-user-${stamp}@example.com`;
      const up = expectData(
        await client.signUp.email({ email, password: PASSWORD, name: NAME, username }),
        "signUp.email with username",
      );
      check(up.user.username === username.toLowerCase(), `user.username ${show(up.user.username)}`);
      check(up.user.displayUsername === username, `user.displayUsername ${show(up.user.displayUsername)}`);
      const taken = expectData(await client.isUsernameAvailable({ username }), "isUsernameAvailable");
      check(taken.available === false, `isUsernameAvailable ${show(taken)}`);
      expectData(await client.signOut(), "signOut");
      const data = expectData(
        await client.signIn.username({ username: username.toUpperCase(), password: PASSWORD }),
        "signIn.username",
      );
      check(data.user?.id === up.user.id, `signIn.username user ${show(data.user?.id)}`);
      check(data.redirect === false, `redirect ${show(data.redirect)}`);
      checkSessionCookieFor(data.token, "signIn.username");
      const wrong = await client.signIn.username({ username, password: `${PASSWORD}-wrong` });
      expectError(wrong, 401, "INVALID_USERNAME_OR_PASSWORD", "signIn.username wrong password");
      return { username: data.user.username, displayUsername: data.user.displayUsername };
    },
  ],
  [
    "j_phone_number",
    async () => {
      jar.clear();
      const phoneNumber = `+1555${String(rnd(1e7)).padStart(7, "0")}`;
      const sent = expectData(await client.phoneNumber.sendOtp({ phoneNumber }), "phoneNumber.sendOtp");
      check(sent.message === "code sent", `sendOtp ${show(sent)}`);
      const code = await textedCode(phoneNumber, "phone-otp");
      const verified = expectData(await client.phoneNumber.verify({ phoneNumber, code }), "phoneNumber.verify");
      check(verified.status === true && verified.user?.phoneNumber === phoneNumber, `verify ${show(verified)}`);
      check(verified.user.phoneNumberVerified === true, `phoneNumberVerified ${show(verified.user)}`);
      checkSessionCookieFor(verified.token, "phoneNumber.verify");
      const s = expectData(await client.getSession(), "getSession after phone sign-up");
      check(s.user?.id === verified.user.id, `getSession user ${show(s.user?.id)}`);
      const asked = expectData(
        await client.phoneNumber.requestPasswordReset({ phoneNumber }),
        "phoneNumber.requestPasswordReset",
      );
      check(asked.status === true, `requestPasswordReset ${show(asked)}`);
      const otp = await textedCode(phoneNumber, "phone-reset-otp");
      const reset = expectData(
        await client.phoneNumber.resetPassword({ otp, phoneNumber, newPassword: PASSWORD }),
        "phoneNumber.resetPassword",
      );
      check(reset.status === true, `resetPassword ${show(reset)}`);
      const after = await client.getSession({ query: { disableCookieCache: true } });
      check(after.error === null && after.data === null, `session survived the reset: ${show(after)}`);
      const data = expectData(
        await client.signIn.phoneNumber({ phoneNumber, password: PASSWORD }),
        "signIn.phoneNumber",
      );
      check(data.user?.id === verified.user.id, `signIn.phoneNumber user ${show(data.user?.id)}`);
      checkSessionCookieFor(data.token, "signIn.phoneNumber");
      const wrong = await client.signIn.phoneNumber({ phoneNumber, password: `${PASSWORD}-wrong` });
      expectError(wrong, 401, "INVALID_PHONE_NUMBER_OR_PASSWORD", "signIn.phoneNumber wrong password");
      jar.clear();
      return { phoneNumber, userId: data.user.id };
    },
  ],
);

// The newest message of `type` to `to` in the test outbox that `accept`s, polled for up to 5 s.
async function mailed(to, type, accept = () => true) {
  const url = `${BASE_URL}/__test/outbox?to=${encodeURIComponent(to)}&type=${type}&all=1`;
  for (let i = 0; i < 50; i++) {
    const res = await fetch(url);
    if (res.status === 200) {
      const found = (await res.json()).messages.filter(accept).pop();
      if (found) return found;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Fail(`no ${type} message to ${to} in the test outbox`);
}

flows.push(
  [
    "q_email_otp",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const email = `compat-otp-${stamp}@example.com`;
      const sent = expectData(
        await client.emailOtp.sendVerificationOtp({ email, type: "sign-in" }),
        "emailOtp.sendVerificationOtp",
      );
      check(sent.success === true, `sendVerificationOtp ${show(sent)}`);
      const { otp } = await mailed(email, "email-otp", (m) => m.otpType === "sign-in");
      const data = expectData(await client.signIn.emailOtp({ email, otp, name: NAME }), "signIn.emailOtp");
      check(data.user?.email === email && data.user.name === NAME, `signIn.emailOtp user ${show(data.user)}`);
      check(data.user.emailVerified === true, `emailVerified ${show(data.user.emailVerified)}`);
      checkSessionCookieFor(data.token, "signIn.emailOtp");
      const s = expectData(await client.getSession(), "getSession after signIn.emailOtp");
      check(s.user?.id === data.user.id, `getSession user ${show(s.user?.id)}`);
      expectError(await client.signIn.emailOtp({ email, otp }), 400, "INVALID_OTP", "reused code");

      const asked = expectData(
        await client.emailOtp.requestPasswordReset({ email }),
        "emailOtp.requestPasswordReset",
      );
      check(asked.success === true, `requestPasswordReset ${show(asked)}`);
      const reset = await mailed(email, "email-otp", (m) => m.otpType === "forget-password");
      const checked = expectData(
        await client.emailOtp.checkVerificationOtp({ email, type: "forget-password", otp: reset.otp }),
        "emailOtp.checkVerificationOtp",
      );
      check(checked.success === true, `checkVerificationOtp ${show(checked)}`);
      const done = expectData(
        await client.emailOtp.resetPassword({ email, otp: reset.otp, password: PASSWORD }),
        "emailOtp.resetPassword",
      );
      check(done.success === true, `resetPassword ${show(done)}`);
      const after = await client.getSession({ query: { disableCookieCache: true } });
      check(after.error === null && after.data === null, `session survived the reset: ${show(after)}`);
      const again = expectData(await client.signIn.email({ email, password: PASSWORD }), "signIn.email");
      check(again.user?.id === data.user.id, `signIn.email after reset ${show(again.user?.id)}`);
      jar.clear();
      return { userId: data.user.id };
    },
  ],
  [
    "r_email_otp_verify_email",
    async () => {
      jar.clear();
      const email = `compat-otp-verify-${stamp}@example.com`;
      const up = expectData(
        await client.signUp.email({ email, password: PASSWORD, name: NAME }),
        "signUp.email",
      );
      check(up.user.emailVerified === false, `emailVerified before ${show(up.user.emailVerified)}`);
      expectData(
        await client.emailOtp.sendVerificationOtp({ email, type: "email-verification" }),
        "emailOtp.sendVerificationOtp",
      );
      const { otp } = await mailed(email, "email-otp", (m) => m.otpType === "email-verification");
      const data = expectData(await client.emailOtp.verifyEmail({ email, otp }), "emailOtp.verifyEmail");
      check(data.status === true && data.user?.id === up.user.id, `verifyEmail ${show(data)}`);
      check(data.user.emailVerified === true, `emailVerified after ${show(data.user.emailVerified)}`);
      checkSessionCookieFor(data.token, "emailOtp.verifyEmail");
      jar.clear();
      return { userId: up.user.id };
    },
  ],
  [
    "s_magic_link",
    async () => {
      jar.clear();
      const email = `compat-link-${stamp}@example.com`;
      const sent = expectData(
        await client.signIn.magicLink({ email, name: NAME, callbackURL: "/dashboard" }),
        "signIn.magicLink",
      );
      check(sent.status === true, `signIn.magicLink ${show(sent)}`);
      const { token, url } = await mailed(email, "magic-link");
      const link = new URL(url);
      check(link.origin === new URL(BASE_URL).origin, `link origin ${link.origin}`);
      check(link.pathname === "/api/auth/magic-link/verify", `link path ${link.pathname}`);
      check(link.searchParams.get("token") === token, `link token ${show(url)}`);
      check(link.searchParams.get("callbackURL") === "/dashboard", `link callbackURL ${show(url)}`);
      const data = expectData(await client.magicLink.verify({ query: { token } }), "magicLink.verify");
      check(data.user?.email === email && data.user.name === NAME, `magicLink.verify user ${show(data.user)}`);
      check(data.session?.token === data.token, `session.token ${show(data.session)}`);
      checkSessionCookieFor(data.token, "magicLink.verify");
      const s = expectData(await client.getSession(), "getSession after magicLink.verify");
      check(s.user?.id === data.user.id, `getSession user ${show(s.user?.id)}`);
      const bad = await client.signIn.magicLink({ email, callbackURL: "https://evil.example/" });
      expectError(bad, 403, "INVALID_CALLBACK_URL", "signIn.magicLink foreign callbackURL");
      jar.clear();
      return { userId: data.user.id };
    },
  ],
);

// ---------------------------------------------------------------- sessions (api.md §4, §9.1)
const SESSIONS_EMAIL = `compat-sessions-${stamp}@example.com`;
const devices = {}; // name -> jar snapshot of one signed-in browser
const sessionState = { userId: null, tokens: {} };

async function signInDevice(name) {
  jar.clear();
  const data = expectData(
    await client.signIn.email({ email: SESSIONS_EMAIL, password: PASSWORD }),
    `signIn.email (${name})`,
  );
  sessionState.tokens[name] = data.token;
  devices[name] = snapshotJar();
}

function useDevice(name) {
  restoreJar(devices[name]);
}

flows.push(
  [
    "n_cookie_cache",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const up = expectData(
        await client.signUp.email({ email: SESSIONS_EMAIL, password: PASSWORD, name: NAME }),
        "signUp.email",
      );
      sessionState.userId = up.user.id;
      sessionState.tokens.a = up.token;
      devices.a = snapshotJar();
      const fresh = expectData(
        await client.getSession({ query: { disableCookieCache: true } }),
        "getSession(disableCookieCache)",
      );
      check(fresh.session?.token === up.token, `getSession token ${show(fresh.session?.token)}`);
      if (!process.env.AUTH_SECRET) return "session_data not read (AUTH_SECRET unset)";
      const name = [...jar.keys()].find((k) => /(^|\.)session_data$/.test(k));
      check(name, `no session_data cookie in the jar: ${show([...jar.keys()])}`);
      const cached = await getCookieCache(new Headers({ cookie: cookieHeader() }), {
        secret: process.env.AUTH_SECRET,
        isSecure: name.startsWith("__Secure-"),
      });
      check(cached?.session?.token === up.token, `getCookieCache session ${show(cached?.session)}`);
      check(cached.user?.id === up.user.id && cached.user.email === SESSIONS_EMAIL, `getCookieCache user ${show(cached.user)}`);
      const forged = await getCookieCache(new Headers({ cookie: cookieHeader() }), {
        secret: `${process.env.AUTH_SECRET}-not`,
        isSecure: name.startsWith("__Secure-"),
      });
      check(forged === null, `getCookieCache with another secret: ${show(forged)}`);
      return { getCookieCache: { userId: cached.user.id, expiresAt: cached.session.expiresAt } };
    },
  ],
  [
    "o_list_and_revoke_sessions",
    async () => {
      await signInDevice("b");
      await signInDevice("c");
      useDevice("a");
      const listed = expectData(await client.listSessions(), "listSessions");
      check(Array.isArray(listed) && listed.length === 3, `listSessions ${show(listed)}`);
      check(listed.every((s) => s.userId === sessionState.userId), "listSessions: a foreign session");
      const own = listed.find((s) => s.token === sessionState.tokens.a);
      check(own, "listSessions: the caller's session does not carry its token");
      const others = listed.filter((s) => s !== own);
      // Authmesh shows other sessions' ids in place of their tokens (Better-Auth the tokens);
      // revokeSession takes either.
      const handedOut = others.filter((s) => Object.values(sessionState.tokens).includes(s.token)).length;
      useDevice("b");
      const bId = expectData(await client.getSession(), "getSession (b)").session.id;
      useDevice("a");
      const handle = others.find((s) => s.id === bId)?.token;
      check(handle, `no listed handle for device b's session ${bId}`);
      const revoked = expectData(await client.revokeSession({ token: handle }), "revokeSession(handle)");
      check(revoked.status === true, `revokeSession ${show(revoked)}`);
      check(sessionCookieName(), "revoking another session dropped the caller's cookie");
      // disableCookieCache: Better-Auth itself would still answer from device b's cookie cache.
      useDevice("b");
      const gone = await client.getSession({ query: { disableCookieCache: true } });
      check(gone.error === null && gone.data === null, `revoked session b still answers: ${show(gone)}`);
      useDevice("a");
      const others2 = expectData(await client.revokeOtherSessions(), "revokeOtherSessions");
      check(others2.status === true, `revokeOtherSessions ${show(others2)}`);
      useDevice("c");
      const goneC = await client.getSession({ query: { disableCookieCache: true } });
      check(goneC.error === null && goneC.data === null, `session c survived revokeOtherSessions: ${show(goneC)}`);
      useDevice("a");
      const still = expectData(await client.getSession(), "getSession after revokeOtherSessions");
      check(still.session.token === sessionState.tokens.a, "revokeOtherSessions ended the caller's session");
      const left = expectData(await client.listSessions(), "listSessions after revokeOtherSessions");
      check(left.length === 1 && left[0].token === sessionState.tokens.a, `listSessions ${show(left)}`);
      return { listed: listed.length, otherTokensHandedOut: handedOut };
    },
  ],
  [
    "p_update_and_revoke_all_sessions",
    async () => {
      useDevice("a");
      const update = await client.updateSession({ theme: "dark" });
      check(update.data === null && update.error?.status === 400, `updateSession ${show(update)}`);
      check(update.error.message === "No fields to update", `updateSession message ${show(update.error)}`);
      const all = expectData(await client.revokeSessions(), "revokeSessions");
      check(all.status === true, `revokeSessions ${show(all)}`);
      check(!sessionCookieName(), `session cookie kept after revokeSessions: ${show(last.setCookies)}`);
      const after = await client.getSession({ query: { disableCookieCache: true } });
      check(after.error === null && after.data === null, `getSession after revokeSessions: ${show(after)}`);
      jar.clear();
      return "updateSession refused; revokeSessions signed out";
    },
  ],
);

// Change email, then delete the user (api.md §9.1): by password, and by the mailed link.
// Core account flows (api.md §9.1): verification, reset, change, update, verify-password.
const ACCOUNT_EMAIL = `compat-account-${stamp}@example.com`;
const RESET_PASSWORD = `${PASSWORD}-reset`;
const CHANGED_PASSWORD = `${PASSWORD}-changed`;

flows.push(
  [
    "k_email_verification",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      expectData(
        await client.signUp.email({ email: ACCOUNT_EMAIL, password: PASSWORD, name: NAME, callbackURL: "/welcome" }),
        "signUp.email",
      );
      const resent = expectData(
        await client.sendVerificationEmail({ email: ACCOUNT_EMAIL, callbackURL: "/welcome" }),
        "sendVerificationEmail",
      );
      check(resent.status === true, `sendVerificationEmail ${show(resent)}`);
      const { token } = await mailed(ACCOUNT_EMAIL, "verify-email");
      jar.clear(); // the link is opened in another browser: verification signs it in
      const verified = expectData(await client.verifyEmail({ query: { token } }), "verifyEmail");
      check(verified.status === true, `verifyEmail ${show(verified)}`);
      const s = expectData(await client.getSession(), "getSession after verifyEmail");
      check(s?.user?.emailVerified === true, `emailVerified ${show(s?.user?.emailVerified)}`);
      expectError(await client.verifyEmail({ query: { token } }), 401, "INVALID_TOKEN", "verifyEmail reused");
      const again = await client.sendVerificationEmail({ email: ACCOUNT_EMAIL });
      expectError(again, 400, "EMAIL_ALREADY_VERIFIED", "sendVerificationEmail when verified");
      return { verified: s.user.emailVerified };
    },
  ],
  [
    "l_password_reset",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const asked = expectData(
        await client.requestPasswordReset({ email: ACCOUNT_EMAIL, redirectTo: "/reset" }),
        "requestPasswordReset",
      );
      check(asked.status === true, `requestPasswordReset ${show(asked)}`);
      const unknown = expectData(
        await client.requestPasswordReset({ email: `nobody-${stamp}@example.com`, redirectTo: "/reset" }),
        "requestPasswordReset (unknown address)",
      );
      check(show(unknown) === show(asked), `unknown address answered ${show(unknown)}`);
      const { token, url } = await mailed(ACCOUNT_EMAIL, "reset-password");
      check(url === `${BASE_URL}/api/auth/reset-password/${token}?callbackURL=%2Freset`, `link ${url}`);
      const reset = expectData(await client.resetPassword({ newPassword: RESET_PASSWORD, token }), "resetPassword");
      check(reset.status === true, `resetPassword ${show(reset)}`);
      const reused = await client.resetPassword({ newPassword: `${RESET_PASSWORD}-2`, token });
      expectError(reused, 400, "INVALID_TOKEN", "resetPassword reused");
      const old = await client.signIn.email({ email: ACCOUNT_EMAIL, password: PASSWORD });
      expectError(old, 401, "INVALID_EMAIL_OR_PASSWORD", "signIn.email with the old password");
      expectData(await client.signIn.email({ email: ACCOUNT_EMAIL, password: RESET_PASSWORD }), "signIn.email");
      return reset;
    },
  ],
  [
    "m_change_password_and_update_user",
    async () => {
      check(sessionCookieName(), "no session (flow l failed?)");
      const wrong = await client.changePassword({ currentPassword: PASSWORD, newPassword: CHANGED_PASSWORD });
      expectError(wrong, 400, "INVALID_PASSWORD", "changePassword with a wrong current password");
      const changed = expectData(
        await client.changePassword({
          currentPassword: RESET_PASSWORD,
          newPassword: CHANGED_PASSWORD,
          revokeOtherSessions: true,
        }),
        "changePassword",
      );
      check(typeof changed.token === "string" && changed.token.length > 0, `changePassword token ${show(changed.token)}`);
      checkSessionCookieFor(changed.token, "changePassword with revokeOtherSessions");
      const verified = expectData(await client.verifyPassword({ password: CHANGED_PASSWORD }), "verifyPassword");
      check(verified.status === true, `verifyPassword ${show(verified)}`);
      expectError(await client.verifyPassword({ password: PASSWORD }), 400, "INVALID_PASSWORD", "verifyPassword wrong");
      const updated = expectData(await client.updateUser({ name: "Grace" }), "updateUser");
      check(updated.status === true, `updateUser ${show(updated)}`);
      const s = expectData(await client.getSession({ query: { disableCookieCache: true } }), "getSession");
      check(s?.user?.name === "Grace", `user.name after updateUser ${show(s?.user?.name)}`);
      return { name: s.user.name };
    },
  ],
);

const MOVED_EMAIL = `compat-moved-${stamp}@example.com`;

flows.push(
  [
    "t_change_email",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const up = expectData(
        await client.signUp.email({ email: `compat-move-${stamp}@example.com`, password: PASSWORD, name: NAME }),
        "signUp.email",
      );
      const asked = expectData(
        await client.changeEmail({ newEmail: MOVED_EMAIL, callbackURL: "/settings" }),
        "changeEmail",
      );
      check(asked.status === true, `changeEmail ${show(asked)}`);
      const { token, url } = await mailed(MOVED_EMAIL, "verify-email");
      check(url === `${BASE_URL}/api/auth/verify-email?token=${token}&callbackURL=%2Fsettings`, `link ${url}`);
      const done = expectData(await client.verifyEmail({ query: { token } }), "verifyEmail (email change)");
      check(done.status === true && done.user?.id === up.user.id, `verifyEmail ${show(done)}`);
      check(done.user.email === MOVED_EMAIL, `verifyEmail user.email ${show(done.user.email)}`);
      const s = expectData(await client.getSession(), "getSession after the change");
      check(s.user?.email === MOVED_EMAIL, `getSession user.email ${show(s.user?.email)}`);
      expectError(await client.verifyEmail({ query: { token } }), 401, "INVALID_TOKEN", "verifyEmail reused");
      return { email: s.user.email };
    },
  ],
  [
    "u_delete_user_with_password",
    async () => {
      check(sessionCookieName(), "no session to delete (flow t failed?)");
      const wrong = await client.deleteUser({ password: `${PASSWORD}-wrong` });
      expectError(wrong, 400, "INVALID_PASSWORD", "deleteUser wrong password");
      const deleted = expectData(await client.deleteUser({ password: PASSWORD }), "deleteUser");
      check(deleted.success === true && deleted.message === "User deleted", `deleteUser ${show(deleted)}`);
      check(!sessionCookieName(), `session cookie kept after deleteUser: ${show(last.setCookies)}`);
      const after = await client.getSession({ query: { disableCookieCache: true } });
      check(after.error === null && after.data === null, `getSession after deleteUser: ${show(after)}`);
      const again = await client.signIn.email({ email: MOVED_EMAIL, password: PASSWORD });
      expectError(again, 401, "INVALID_EMAIL_OR_PASSWORD", "signIn.email after deleteUser");
      return deleted;
    },
  ],
  [
    "v_delete_user_by_mailed_link",
    async () => {
      // A session older than the fresh age, which only the test harness can make (Better-Auth's
      // peer has no sendDeleteAccountVerification: it answers 400 SESSION_EXPIRED instead).
      const stale = process.env.AUTH_STALE_SESSION;
      const email = process.env.AUTH_STALE_EMAIL;
      if (!stale || !email) return "skipped (AUTH_STALE_SESSION unset)";
      clientIp = otherClientIp();
      jar.clear();
      storeSetCookie(stale);
      const asked = expectData(await client.deleteUser({ callbackURL: "/goodbye" }), "deleteUser without a fresh session");
      check(asked.success === true && asked.message === "Verification email sent", `deleteUser ${show(asked)}`);
      const { token, url } = await mailed(email, "delete-account");
      check(url === `${BASE_URL}/api/auth/delete-user/callback?token=${token}&callbackURL=%2Fgoodbye`, `link ${url}`);
      check(expectData(await client.getSession(), "getSession before the link").user?.email === email, "not deleted yet");
      // The link, opened in the browser where the user is signed in.
      const opened = await fetch(url, {
        redirect: "manual",
        headers: { cookie: cookieHeader(), "x-forwarded-for": clientIp },
      });
      check(opened.status === 302 && opened.headers.get("location") === "/goodbye", `link answered ${opened.status}`);
      for (const line of opened.headers.getSetCookie()) storeSetCookie(line);
      check(!sessionCookieName(), "the link kept the session cookie");
      const after = await client.getSession({ query: { disableCookieCache: true } });
      check(after.error === null && after.data === null, `getSession after the link: ${show(after)}`);
      return "deleted by the mailed link";
    },
  ],
);

// Bearer and JWT (api.md §9.10, §9.11), as an app without cookies does it: the SDK sends the
// `set-auth-token` value with `fetchOptions.auth`, jwtClient fetches the JWKS, and a backend
// checks the JWT with jose's createRemoteJWKSet and jwtVerify.
let bearerToken = "";
let lastAuthJwt = null;
const bearerIp = otherClientIp();
const bearerClient = createAuthClient({
  baseURL: BASE_URL,
  plugins: [jwtClient()],
  fetchOptions: {
    auth: { type: "Bearer", token: () => bearerToken },
    onRequest(ctx) {
      ctx.headers.set("origin", ORIGIN);
      ctx.headers.set("x-forwarded-for", bearerIp);
      return ctx;
    },
    onSuccess(ctx) {
      const token = ctx.response.headers.get("set-auth-token");
      if (token) bearerToken = token;
      lastAuthJwt = ctx.response.headers.get("set-auth-jwt");
    },
  },
});
const issuer = new URL(BASE_URL).origin;
const remoteJwks = createRemoteJWKSet(new URL(`${BASE_URL}/api/auth/jwks`));

async function verifiedJwt(token, what) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, remoteJwks, {
      issuer,
      audience: issuer,
      algorithms: ["EdDSA"],
    });
    return { payload, protectedHeader };
  } catch (e) {
    throw new Fail(`${what}: jose refused the JWT: ${e?.code || ""} ${e?.message || e}`);
  }
}

flows.push(
  [
    "w_bearer_token",
    async () => {
      const up = expectData(
        await bearerClient.signUp.email({ email: `compat-bearer-${stamp}@example.com`, password: PASSWORD, name: NAME }),
        "signUp.email (bearer client)",
      );
      check(bearerToken.startsWith(`${up.token}.`), `set-auth-token ${show(bearerToken)} is not <token>.<signature>`);
      const s = expectData(await bearerClient.getSession(), "getSession with the bearer token");
      check(s.user?.id === up.user.id, `getSession user ${show(s.user?.id)} != ${up.user.id}`);
      // The raw token works too (requireSignature is off).
      const raw = expectData(
        await bearerClient.getSession({ fetchOptions: { auth: { type: "Bearer", token: up.token } } }),
        "getSession with the raw token",
      );
      check(raw.user?.id === up.user.id, "raw bearer token refused");
      return { userId: up.user.id };
    },
  ],
  [
    "x_jwt",
    async () => {
      check(bearerToken, "no bearer token (flow w failed?)");
      const s = expectData(await bearerClient.getSession(), "getSession");
      check(lastAuthJwt, "getSession answered no set-auth-jwt header");
      const fromHeader = await verifiedJwt(lastAuthJwt, "set-auth-jwt");
      check(fromHeader.payload.sub === s.user.id && fromHeader.payload.email === s.user.email, `set-auth-jwt claims ${show(fromHeader.payload)}`);
      const token = expectData(await bearerClient.token(), "authClient.token()").token;
      const { payload, protectedHeader } = await verifiedJwt(token, "token()");
      check(protectedHeader.alg === "EdDSA" && typeof protectedHeader.kid === "string", `header ${show(protectedHeader)}`);
      check(payload.sub === s.user.id && payload.id === s.user.id && payload.name === NAME, `claims ${show(payload)}`);
      check(payload.exp - payload.iat === 900, `lifetime ${payload.exp - payload.iat} s`);
      const jwks = expectData(await bearerClient.jwks(), "jwtClient jwks()");
      check(jwks.keys?.some((k) => k.kid === protectedHeader.kid && k.kty === "OKP" && k.crv === "Ed25519"), `jwks ${show(jwks)}`);
      const out = expectData(await bearerClient.signOut(), "signOut with the bearer token");
      check(out.success === true, `signOut ${show(out)}`);
      const after = await bearerClient.getSession();
      check(after.error === null && after.data === null, `getSession after sign-out: ${show(after)}`);
      expectError(await bearerClient.token(), 401, "UNAUTHORIZED", "token() after sign-out");
      return { kid: protectedHeader.kid, claims: Object.keys(payload).length };
    },
  ],
);

// Passkeys (api.md §9.3) with passkeyClient, whose @simplewebauthn/browser calls
// navigator.credentials: here a software authenticator on the app's origin (AUTH_ORIGIN).
const authenticator = installSoftwareAuthenticator(ORIGIN);
const passkeyState = { userId: null, passkeyId: null };

flows.push(
  [
    "passkey_register_list_rename",
    async () => {
      clientIp = otherClientIp();
      const up = expectData(
        await client.signUp.email({ email: `compat-passkey-${stamp}@example.com`, password: PASSWORD, name: NAME }),
        "signUp.email",
      );
      passkeyState.userId = up.user.id;
      const passkey = expectData(await client.passkey.addPasskey({ name: "compat key" }), "passkey.addPasskey");
      const [credential] = authenticator.credentials;
      check(credential && passkey.credentialID === credential.id, `credentialID ${show(passkey.credentialID)}`);
      check(passkey.userId === up.user.id && passkey.name === "compat key", `passkey ${show(passkey)}`);
      check(passkey.counter === 0 && passkey.transports === "internal", `passkey ${show(passkey)}`);
      // The options exclude the registered credential, so the authenticator refuses a second.
      const again = await client.passkey.addPasskey({ name: "again" });
      check(again.error?.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED", `second addPasskey ${show(again)}`);
      const listed = await client.passkey.listUserPasskeys();
      check(listed.error === null && listed.data.length === 1 && listed.data[0].id === passkey.id, `list ${show(listed)}`);
      const renamed = expectData(await client.passkey.updatePasskey({ id: passkey.id, name: "renamed" }), "updatePasskey");
      check(renamed.passkey?.name === "renamed", `updatePasskey ${show(renamed)}`);
      passkeyState.passkeyId = passkey.id;
      return { passkeyId: passkey.id };
    },
  ],
  [
    "passkey_sign_in_delete",
    async () => {
      check(passkeyState.passkeyId, "no passkey (the registration flow failed?)");
      expectData(await client.signOut(), "signOut");
      // Discoverable: no email, the authenticator answers with its credential.
      const signedIn = expectData(await client.signIn.passkey(), "signIn.passkey");
      check(signedIn.user?.id === passkeyState.userId && signedIn.session?.userId === passkeyState.userId, `signIn.passkey ${show(signedIn)}`);
      check(sessionCookieName(), "signIn.passkey set no session cookie");
      const s = expectData(await client.getSession(), "getSession after signIn.passkey");
      check(s.user.id === passkeyState.userId, `getSession ${show(s)}`);
      const deleted = expectData(await client.passkey.deletePasskey({ id: passkeyState.passkeyId }), "deletePasskey");
      check(deleted.status === true, `deletePasskey ${show(deleted)}`);
      expectData(await client.signOut(), "signOut");
      expectError(await client.signIn.passkey(), 401, "PASSKEY_NOT_FOUND", "signIn.passkey with a deleted passkey");
      check(!sessionCookieName(), "a deleted passkey signed in");
      return "signed in without an email; a deleted passkey signs in no more";
    },
  ],
);

// Two-factor (api.md §9.2) with twoFactorClient. TOTP codes (RFC 6238: HMAC-SHA1, 6 digits,
// 30 s) are computed here with node:crypto from the totpURI's base32 secret.
function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of text.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
function totpCode(totpURI, stepOffset = 0) {
  const secret = base32Decode(new URL(totpURI).searchParams.get("secret"));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + stepOffset));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, "0");
}
// Waits for a new 30-second step when the current one ends within `margin` ms.
async function freshStep(margin = 3000) {
  const left = 30000 - (Date.now() % 30000);
  if (left < margin) await new Promise((done) => setTimeout(done, left + 200));
}
const twoFactorState = { email: `compat-2fa-${stamp}@example.com`, userId: null, totpURI: null, backupCodes: null };

flows.push(
  [
    "t_two_factor_totp",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const { email } = twoFactorState;
      const up = expectData(await client.signUp.email({ email, password: PASSWORD, name: NAME }), "signUp.email");
      twoFactorState.userId = up.user.id;
      const enabled = expectData(await client.twoFactor.enable({ password: PASSWORD }), "twoFactor.enable");
      check(enabled.totpURI?.startsWith("otpauth://totp/") && enabled.backupCodes?.length === 10, `enable ${show(enabled)}`);
      twoFactorState.totpURI = enabled.totpURI;
      twoFactorState.backupCodes = enabled.backupCodes;
      expectError(await client.twoFactor.verifyTotp({ code: "000000" }), 401, "INVALID_CODE", "verifyTotp wrong code");
      await freshStep();
      // (Authmesh answers the updated user; the peer the user as it was before.)
      const verified = expectData(await client.twoFactor.verifyTotp({ code: totpCode(enabled.totpURI) }), "twoFactor.verifyTotp");
      check(verified.user?.id === up.user.id, `verifyTotp ${show(verified)}`);
      const s = expectData(await client.getSession(), "getSession after enabling");
      check(s.user.twoFactorEnabled === true, `getSession ${show(s.user)}`);
      const uri = expectData(await client.twoFactor.getTotpUri({ password: PASSWORD }), "twoFactor.getTotpUri");
      const secretOf = (totpURI) => new URL(totpURI).searchParams.get("secret");
      check(secretOf(uri.totpURI) === secretOf(enabled.totpURI), `getTotpUri ${show(uri)}`);
      const codes = expectData(await client.twoFactor.generateBackupCodes({ password: PASSWORD }), "generateBackupCodes");
      check(codes.status === true && codes.backupCodes.length === 10, `generateBackupCodes ${show(codes)}`);
      twoFactorState.backupCodes = codes.backupCodes;
      expectData(await client.signOut(), "signOut");

      const challenge = expectData(await client.signIn.email({ email, password: PASSWORD }), "signIn.email");
      // (The peer also offers "otp", a mailed code, to every two-factor user; Authmesh does not.)
      check(challenge.twoFactorRedirect === true && challenge.twoFactorMethods?.[0] === "totp", `signIn ${show(challenge)}`);
      check(twoFactorRedirects.at(-1)?.[0] === "totp", `onTwoFactorRedirect ${show(twoFactorRedirects)}`);
      check(!sessionCookieName(), "a session cookie before the second factor");
      const none = await client.getSession();
      check(none.error === null && none.data === null, `getSession before the factor ${show(none)}`);
      clientIp = otherClientIp();
      const signedIn = expectData(
        await client.twoFactor.verifyTotp({ code: totpCode(enabled.totpURI, 1), trustDevice: true }),
        "verifyTotp at sign-in",
      );
      check(signedIn.user?.id === up.user.id, `verifyTotp ${show(signedIn)}`);
      checkSessionCookieFor(signedIn.token, "twoFactor.verifyTotp");
      check([...jar.keys()].some((k) => k.endsWith("trust_device")), "no trust_device cookie");
      expectData(await client.signOut(), "signOut");
      const trusted = expectData(await client.signIn.email({ email, password: PASSWORD }), "signIn.email from a trusted device");
      check(trusted.user?.id === up.user.id && !trusted.twoFactorRedirect, `trusted sign-in ${show(trusted)}`);
      checkSessionCookieFor(trusted.token, "signIn.email from a trusted device");
      return { userId: up.user.id, trustedDevice: true };
    },
  ],
  [
    "u_two_factor_backup_code_and_disable",
    async () => {
      check(twoFactorState.userId, "no two-factor user (the TOTP flow failed?)");
      clientIp = otherClientIp();
      jar.clear();
      const { email } = twoFactorState;
      expectData(await client.signIn.email({ email, password: PASSWORD }), "signIn.email");
      const [code] = twoFactorState.backupCodes;
      expectError(await client.twoFactor.verifyBackupCode({ code: "AAAAA-BBBBB" }), 401, "INVALID_BACKUP_CODE", "wrong backup code");
      const signedIn = expectData(await client.twoFactor.verifyBackupCode({ code }), "twoFactor.verifyBackupCode");
      checkSessionCookieFor(signedIn.token, "twoFactor.verifyBackupCode");
      clientIp = otherClientIp();
      expectError(await client.twoFactor.disable({ password: `${PASSWORD}-wrong` }), 400, "INVALID_PASSWORD", "disable wrong password");
      const disabled = expectData(await client.twoFactor.disable({ password: PASSWORD }), "twoFactor.disable");
      check(disabled.status === true, `disable ${show(disabled)}`);
      const s = expectData(await client.getSession(), "getSession after disabling");
      check(s.user.twoFactorEnabled === false, `getSession ${show(s.user)}`);
      return "backup code signs in; disabled";
    },
  ],
  [
    "v_two_factor_otp",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const email = `compat-2fa-otp-${stamp}@example.com`;
      expectData(await client.signUp.email({ email, password: PASSWORD, name: NAME }), "signUp.email");
      const enabled = expectData(await client.twoFactor.enable({ password: PASSWORD, method: "otp" }), "enable otp");
      check(enabled.method === "otp", `enable ${show(enabled)}`);
      expectData(await client.signOut(), "signOut");
      const challenge = expectData(await client.signIn.email({ email, password: PASSWORD }), "signIn.email");
      check(show(challenge.twoFactorMethods) === '["otp"]', `signIn ${show(challenge)}`);
      const sent = expectData(await client.twoFactor.sendOtp(), "twoFactor.sendOtp");
      check(sent.status === true, `sendOtp ${show(sent)}`);
      const { otp } = await mailed(email, "two-factor-otp");
      const signedIn = expectData(await client.twoFactor.verifyOtp({ code: otp }), "twoFactor.verifyOtp");
      checkSessionCookieFor(signedIn.token, "twoFactor.verifyOtp");
      check(signedIn.user?.email === email, `verifyOtp ${show(signedIn)}`);
      jar.clear();
      return "mailed code signs in";
    },
  ],
);

// The admin plugin (api.md §9.9) with adminClient, as the server's seeded admin.
const ADMIN_EMAIL = process.env.AUTH_ADMIN_EMAIL || "admin@peer.test";
const ADMIN_PASSWORD = process.env.AUTH_ADMIN_PASSWORD || "admin-password-123";
const adminState = { adminId: null, jar: null, user: null, userJar: null };

// Signs the admin in on a fresh client IP; the admin's cookies stay in `adminState.jar`.
async function asAdmin() {
  if (adminState.jar) {
    restoreJar(adminState.jar);
    return;
  }
  clientIp = otherClientIp();
  jar.clear();
  const data = expectData(await client.signIn.email({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }), "admin signIn.email");
  check(data.user.role === "admin", `the admin's role ${show(data.user.role)}`);
  adminState.adminId = data.user.id;
  adminState.jar = snapshotJar();
}

flows.push(
  [
    "admin_users",
    async () => {
      await asAdmin();
      const email = `compat-admin-${stamp}@example.com`;
      const created = expectData(
        await client.admin.createUser({ email, password: PASSWORD, name: NAME, role: "user" }),
        "admin.createUser",
      );
      check(created.user.email === email && created.user.role === "user", `createUser ${show(created)}`);
      const id = created.user.id;
      const listed = expectData(
        await client.admin.listUsers({ query: { searchValue: `compat-admin-${stamp}`, limit: 10, sortBy: "createdAt" } }),
        "admin.listUsers",
      );
      check(listed.total === 1 && listed.users[0]?.id === id && listed.limit === 10, `listUsers ${show(listed)}`);
      const none = expectData(
        await client.admin.listUsers({ query: { searchValue: "%' OR '1'='1", searchField: "name" } }),
        "admin.listUsers with SQL-like input",
      );
      check(none.total === 0 && none.users.length === 0, `listUsers SQL-like ${show(none)}`);
      const got = expectData(await client.admin.getUser({ query: { id } }), "admin.getUser");
      check(got.id === id && got.email === email, `getUser ${show(got)}`);
      const updated = expectData(await client.admin.updateUser({ userId: id, data: { name: "Renamed" } }), "admin.updateUser");
      check(updated.name === "Renamed", `updateUser ${show(updated)}`);
      const role = expectData(await client.admin.setRole({ userId: id, role: "admin" }), "admin.setRole");
      check(role.user.role === "admin", `setRole ${show(role)}`);
      expectData(await client.admin.setRole({ userId: id, role: "user" }), "admin.setRole back");
      const password = expectData(
        await client.admin.setUserPassword({ userId: id, newPassword: `${PASSWORD}-new` }),
        "admin.setUserPassword",
      );
      check(password.status === true, `setUserPassword ${show(password)}`);
      const allowed = expectData(
        await client.admin.hasPermission({ permissions: { user: ["list"], session: ["revoke"] } }),
        "admin.hasPermission",
      );
      check(allowed.success === true && allowed.error === null, `hasPermission ${show(allowed)}`);
      const denied = expectData(await client.admin.hasPermission({ permissions: { user: ["impersonate-admins"] } }), "hasPermission");
      check(denied.success === false, `hasPermission impersonate-admins ${show(denied)}`);
      check(client.admin.checkRolePermission({ role: "user", permissions: { user: ["list"] } }) === false, "checkRolePermission");
      const removed = expectData(await client.admin.removeUser({ userId: id }), "admin.removeUser");
      check(removed.success === true, `removeUser ${show(removed)}`);
      expectError(await client.admin.getUser({ query: { id } }), 404, "USER_NOT_FOUND", "getUser after removeUser");
      return { created: id, removed: true };
    },
  ],
  [
    "admin_ban_and_sessions",
    async () => {
      clientIp = otherClientIp();
      jar.clear();
      const email = `compat-banned-${stamp}@example.com`;
      const up = expectData(await client.signUp.email({ email, password: PASSWORD, name: NAME }), "signUp.email");
      adminState.user = up.user;
      adminState.userJar = snapshotJar();
      await asAdmin();
      const sessions = expectData(await client.admin.listUserSessions({ userId: up.user.id }), "admin.listUserSessions");
      check(sessions.sessions.length === 1 && sessions.sessions[0].userId === up.user.id, `listUserSessions ${show(sessions)}`);
      const banned = expectData(
        await client.admin.banUser({ userId: up.user.id, banReason: "compat", banExpiresIn: 3600 }),
        "admin.banUser",
      );
      check(banned.user.banned === true && banned.user.banReason === "compat", `banUser ${show(banned)}`);
      expectError(await client.admin.banUser({ userId: adminState.adminId }), 400, "YOU_CANNOT_BAN_YOURSELF", "ban oneself");
      // The banned user's session is gone at once (no cookie cache on the server side).
      restoreJar(adminState.userJar);
      const after = await client.getSession({ query: { disableCookieCache: true } });
      check(after.error === null && after.data === null, `getSession of a banned user ${show(after)}`);
      clientIp = otherClientIp();
      const refused = expectError(await client.signIn.email({ email, password: PASSWORD }), 403, "BANNED_USER", "signIn.email banned");
      check(refused.message.startsWith("You have been banned from this application."), `banned message ${show(refused)}`);
      await asAdmin();
      const unbanned = expectData(await client.admin.unbanUser({ userId: up.user.id }), "admin.unbanUser");
      check(unbanned.user.banned === false, `unbanUser ${show(unbanned)}`);
      clientIp = otherClientIp();
      jar.clear();
      expectData(await client.signIn.email({ email, password: PASSWORD }), "signIn.email after unban");
      adminState.userJar = snapshotJar();
      await asAdmin();
      const listed = expectData(await client.admin.listUserSessions({ userId: up.user.id }), "listUserSessions");
      const revoked = expectData(
        await client.admin.revokeUserSession({ sessionToken: listed.sessions[0].token }),
        "admin.revokeUserSession",
      );
      check(revoked.success === true, `revokeUserSession ${show(revoked)}`);
      const all = expectData(await client.admin.revokeUserSessions({ userId: up.user.id }), "admin.revokeUserSessions");
      check(all.success === true, `revokeUserSessions ${show(all)}`);
      restoreJar(adminState.userJar);
      const gone = await client.getSession({ query: { disableCookieCache: true } });
      check(gone.error === null && gone.data === null, `getSession after revokeUserSession ${show(gone)}`);
      return "banned: session gone, sign-in refused; unbanned: signs in";
    },
  ],
  [
    "admin_impersonation",
    async () => {
      check(adminState.user, "no user to impersonate (the ban flow failed?)");
      await asAdmin();
      const started = expectData(await client.admin.impersonateUser({ userId: adminState.user.id }), "admin.impersonateUser");
      check(started.session.impersonatedBy === adminState.adminId && started.user.id === adminState.user.id, `impersonateUser ${show(started)}`);
      check([...jar.keys()].some((k) => k.endsWith("admin_session")), "no admin_session cookie");
      const as = expectData(await client.getSession(), "getSession while impersonating");
      check(as.user.id === adminState.user.id && as.session.impersonatedBy === adminState.adminId, `getSession ${show(as)}`);
      expectError(await client.admin.listUsers({ query: {} }), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "listUsers as the user");
      const stopped = expectData(await client.admin.stopImpersonating(), "admin.stopImpersonating");
      check(stopped.user.id === adminState.adminId, `stopImpersonating ${show(stopped)}`);
      check(![...jar.keys()].some((k) => k.endsWith("admin_session")), "admin_session cookie left behind");
      const back = expectData(await client.getSession(), "getSession after stopping");
      check(back.user.id === adminState.adminId && !back.session.impersonatedBy, `getSession ${show(back)}`);
      jar.clear();
      const anonymous = await client.admin.listUsers({ query: {} });
      check(anonymous.data === null && anonymous.error?.status === 401, `listUsers without a session ${show(anonymous)}`);
      return "impersonated and back";
    },
  ],
);

// ---------------------------------------------------------------- organizations (api.md §9.8)
// An owner and a second user whose address is verified (only such a user may accept an
// invitation): the whole lifecycle through organizationClient, the invitation read from the
// test outbox as an app's mailer would receive it.
async function signedUpJar(email, verify) {
  clientIp = otherClientIp();
  jar.clear();
  const up = expectData(await client.signUp.email({ email, password: PASSWORD, name: NAME }), `signUp.email ${email}`);
  if (verify) {
    const { token } = await mailed(email, "verify-email");
    jar.clear();
    expectData(await client.verifyEmail({ query: { token } }), "verifyEmail");
  }
  return { user: up.user, jar: snapshotJar() };
}

flows.push([
  "organization_lifecycle",
  async () => {
    const owner = await signedUpJar(`compat-org-owner-${stamp}@example.com`, false);
    const memberEmail = `compat-org-member-${stamp}@example.com`;
    const member = await signedUpJar(memberEmail, true);
    const org = client.organization;
    // Each user keeps their own cookies (the session_data cookie cache changes as they act).
    let acting = null;
    const as = (who) => {
      if (acting) acting.jar = snapshotJar();
      restoreJar(who.jar);
      acting = who;
    };
    as(owner);
    const slug = `compat-${stamp}`;
    const free = expectData(await org.checkSlug({ slug }), "organization.checkSlug");
    check(free.status === true, `checkSlug ${show(free)}`);
    const created = expectData(await org.create({ name: "Compat Org", slug, metadata: { plan: "pro" } }), "organization.create");
    check(created.slug === slug && created.members?.[0]?.role === "owner", `create ${show(created)}`);
    check(created.metadata?.plan === "pro", `create metadata ${show(created.metadata)}`);
    expectError(await org.checkSlug({ slug }), 400, "ORGANIZATION_SLUG_ALREADY_TAKEN", "checkSlug taken");
    const listed = expectData(await org.list(), "organization.list");
    check(listed.length === 1 && listed[0].id === created.id, `list ${show(listed)}`);
    const active = expectData(await org.setActive({ organizationId: created.id }), "organization.setActive");
    check(active.id === created.id, `setActive ${show(active)}`);
    const s = expectData(await client.getSession(), "getSession after setActive");
    check(s.session.activeOrganizationId === created.id, `activeOrganizationId ${show(s.session)}`);
    const full = expectData(await org.getFullOrganization(), "organization.getFullOrganization");
    check(full.id === created.id && full.members.length === 1 && full.teams.length === 1, `getFullOrganization ${show(full)}`);
    check(full.members[0].user?.id === owner.user.id, `full member user ${show(full.members[0])}`);

    const invitation = expectData(await org.inviteMember({ email: memberEmail, role: "member" }), "organization.inviteMember");
    check(invitation.status === "pending" && invitation.email === memberEmail, `inviteMember ${show(invitation)}`);
    const mail = await mailed(memberEmail, "organization-invitation", (m) => m.invitationId === invitation.id);
    check(mail.organizationId === created.id && mail.inviterEmail === owner.user.email, `invitation mail ${show(mail)}`);
    expectError(await org.inviteMember({ email: memberEmail, role: "member" }), 400, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION", "second invitation");

    as(member);
    const mine = expectData(await org.listUserInvitations(), "organization.listUserInvitations");
    check(mine.some((i) => i.id === invitation.id), `listUserInvitations ${show(mine)}`);
    const seen = expectData(await org.getInvitation({ query: { id: mail.invitationId } }), "organization.getInvitation");
    check(seen.organizationSlug === slug && seen.inviterEmail === owner.user.email, `getInvitation ${show(seen)}`);
    const accepted = expectData(await org.acceptInvitation({ invitationId: mail.invitationId }), "organization.acceptInvitation");
    check(accepted.member.userId === member.user.id && accepted.invitation.status === "accepted", `acceptInvitation ${show(accepted)}`);

    as(owner);
    const members = expectData(await org.listMembers({ query: { limit: 10, sortBy: "createdAt" } }), "organization.listMembers");
    check(members.total === 2 && members.members.some((m) => m.user?.email === memberEmail), `listMembers ${show(members)}`);
    const promoted = expectData(await org.updateMemberRole({ memberId: accepted.member.id, role: "admin" }), "organization.updateMemberRole");
    check(promoted.role === "admin", `updateMemberRole ${show(promoted)}`);
    const team = expectData(await org.createTeam({ name: "Compat Team" }), "organization.createTeam");
    const added = expectData(await org.addTeamMember({ teamId: team.id, userId: member.user.id }), "organization.addTeamMember");
    check(added.teamId === team.id && added.userId === member.user.id, `addTeamMember ${show(added)}`);
    const teams = expectData(await org.listTeams(), "organization.listTeams");
    check(teams.length === 2 && teams.some((t) => t.id === team.id), `listTeams ${show(teams)}`);

    as(member);
    // Accepting set the active organization in the database only (Better-Auth re-sets no
    // cookie there): an app sets it explicitly, which refreshes the cookie cache.
    expectData(await org.setActive({ organizationId: created.id }), "member setActive");
    const activeTeam = expectData(await org.setActiveTeam({ teamId: team.id }), "organization.setActiveTeam");
    check(activeTeam.id === team.id, `setActiveTeam ${show(activeTeam)}`);
    const userTeams = expectData(await org.listUserTeams(), "organization.listUserTeams");
    check(userTeams.length === 1 && userTeams[0].id === team.id, `listUserTeams ${show(userTeams)}`);
    const teamMembers = expectData(await org.listTeamMembers({ query: { teamId: team.id } }), "organization.listTeamMembers");
    check(teamMembers.length === 1 && teamMembers[0].userId === member.user.id, `listTeamMembers ${show(teamMembers)}`);
    const role = expectData(await org.getActiveMemberRole(), "organization.getActiveMemberRole");
    check(role.role === "admin", `getActiveMemberRole ${show(role)}`);
    const may = expectData(await org.hasPermission({ permissions: { member: ["create"], team: ["update"] } }), "organization.hasPermission");
    check(may.success === true && may.error === null, `hasPermission ${show(may)}`);
    const mayNot = expectData(await org.hasPermission({ permissions: { organization: ["delete"] } }), "hasPermission delete");
    check(mayNot.success === false, `hasPermission organization:delete ${show(mayNot)}`);
    expectError(
      await org.updateMemberRole({ memberId: created.members[0].id, role: "member" }),
      403,
      "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
      "an admin demoting the owner",
    );
    const left = expectData(await org.leave({ organizationId: created.id }), "organization.leave");
    check(left.userId === member.user.id, `leave ${show(left)}`);
    const after = expectData(await client.getSession({ query: { disableCookieCache: true } }), "getSession after leave");
    check(after.session.activeOrganizationId === null, `activeOrganizationId after leave ${show(after.session)}`);

    as(owner);
    expectError(await org.leave({ organizationId: created.id }), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "the only owner leaving");
    const again = expectData(await org.inviteMember({ email: memberEmail, role: "member" }), "inviteMember again");
    as(member);
    expectData(await org.acceptInvitation({ invitationId: again.id }), "acceptInvitation again");
    as(owner);
    const removed = expectData(await org.removeMember({ memberIdOrEmail: memberEmail }), "organization.removeMember");
    check(removed.member.userId === member.user.id, `removeMember ${show(removed)}`);
    const removedTeam = expectData(await org.removeTeam({ teamId: team.id }), "organization.removeTeam");
    check(removedTeam.message === "Team removed successfully.", `removeTeam ${show(removedTeam)}`);
    const deleted = expectData(await org.delete({ organizationId: created.id }), "organization.delete");
    check(deleted.id === created.id, `delete ${show(deleted)}`);
    const none = await org.list();
    check(none.error === null && Array.isArray(none.data) && none.data.length === 0, `list after delete ${show(none)}`);
    jar.clear();
    return { organization: created.id, invitation: invitation.id };
  },
]);

flows.push([
  "organization_custom_roles",
  async () => {
    // The reference peer runs without dynamic access control: its runs set AUTH_NO_DYNAMIC_AC=1.
    if (process.env.AUTH_NO_DYNAMIC_AC === "1") return "skipped: the server has no dynamic access control";
    const owner = await signedUpJar(`compat-org-roles-${stamp}@example.com`, false);
    restoreJar(owner.jar);
    const org = client.organization;
    const created = expectData(await org.create({ name: "Roles Org", slug: `compat-roles-${stamp}` }), "organization.create");
    const role = expectData(
      await org.createRole({ role: "support", permission: { member: ["update"] }, organizationId: created.id }),
      "organization.createRole",
    );
    check(role.success === true && role.roleData.role === "support", `createRole ${show(role)}`);
    const roles = expectData(await org.listRoles({ query: { organizationId: created.id } }), "organization.listRoles");
    check(roles.length === 1 && roles[0].permission.member[0] === "update", `listRoles ${show(roles)}`);
    const got = expectData(await org.getRole({ query: { roleName: "support", organizationId: created.id } }), "organization.getRole");
    check(got.id === role.roleData.id, `getRole ${show(got)}`);
    const updated = expectData(
      await org.updateRole({ roleName: "support", organizationId: created.id, data: { permission: { team: ["create"] } } }),
      "organization.updateRole",
    );
    check(updated.roleData.permission.team[0] === "create", `updateRole ${show(updated)}`);
    expectError(
      await org.createRole({ role: " owner", permission: { member: ["update"] }, organizationId: created.id }),
      400,
      "INVALID_ROLE_NAME",
      "a padded role name",
    );
    const deleted = expectData(await org.deleteRole({ roleName: "support", organizationId: created.id }), "organization.deleteRole");
    check(deleted.success === true, `deleteRole ${show(deleted)}`);
    expectData(await org.delete({ organizationId: created.id }), "organization.delete");
    jar.clear();
    return { role: role.roleData.id };
  },
]);

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
