// A software WebAuthn authenticator behind `navigator.credentials`, so that Better-Auth's
// passkeyClient (through @simplewebauthn/browser) runs its ceremonies in Node as in a browser.
//
// ES256 keys from node:crypto, attestation "none", user presence and verification flags, a
// signature counter per credential, discoverable credentials (a `get` without allowCredentials
// uses the RP's first one), and the browser's errors: InvalidStateError for an excluded
// credential, NotAllowedError when no credential fits. clientDataJSON names `origin`, the page
// the "browser" is on.
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";

const USER_PRESENT = 0x01;
const USER_VERIFIED = 0x04;
const ATTESTED_CREDENTIAL_DATA = 0x40;

// CBOR (RFC 8949) for what WebAuthn needs: small integers, byte and text strings, maps.
function cbor(value) {
  const head = (major, n) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  }
  throw new TypeError(`cbor: ${typeof value} not supported`);
}

const sha256 = (data) => createHash("sha256").update(data).digest();
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const arrayBuffer = (buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
const domError = (name, message) => Object.assign(new Error(message), { name });

export function installSoftwareAuthenticator(origin) {
  const credentials = [];
  const clientData = (type, challenge) =>
    Buffer.from(JSON.stringify({ type, challenge: b64url(Buffer.from(challenge)), origin, crossOrigin: false }));
  const authenticatorData = (rpId, flags, counter) => {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags | USER_PRESENT | USER_VERIFIED]), count]);
  };
  const credentialOf = (credential, response) => ({
    id: credential.id,
    rawId: arrayBuffer(credential.rawId),
    type: "public-key",
    authenticatorAttachment: "platform",
    response,
    getClientExtensionResults: () => ({}),
  });

  async function create({ publicKey }) {
    const rpId = publicKey.rp.id ?? new URL(origin).hostname;
    const excluded = new Set((publicKey.excludeCredentials ?? []).map((d) => b64url(Buffer.from(d.id))));
    if (credentials.some((c) => c.rpId === rpId && excluded.has(c.id))) {
      throw domError("InvalidStateError", "The authenticator holds an excluded credential");
    }
    const { privateKey, publicKey: key } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const { x, y } = key.export({ format: "jwk" });
    const rawId = randomBytes(16);
    const credential = { id: b64url(rawId), rawId, rpId, privateKey, userHandle: Buffer.from(publicKey.user.id), counter: 0 };
    credentials.push(credential);
    const coseKey = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(x, "base64url")], [-3, Buffer.from(y, "base64url")]]));
    const attested = Buffer.concat([Buffer.alloc(16), Buffer.from([0, rawId.length]), rawId, coseKey]);
    const authData = Buffer.concat([authenticatorData(rpId, ATTESTED_CREDENTIAL_DATA, 0), attested]);
    const attestationObject = cbor(new Map([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    return credentialOf(credential, {
      clientDataJSON: arrayBuffer(clientData("webauthn.create", publicKey.challenge)),
      attestationObject: arrayBuffer(attestationObject),
      getTransports: () => ["internal"],
    });
  }

  async function get({ publicKey }) {
    const rpId = publicKey.rpId ?? new URL(origin).hostname;
    const allowed = (publicKey.allowCredentials ?? []).map((d) => b64url(Buffer.from(d.id)));
    const credential = credentials.find((c) => c.rpId === rpId && (allowed.length === 0 || allowed.includes(c.id)));
    if (!credential) throw domError("NotAllowedError", "No credential of this authenticator fits");
    credential.counter += 1;
    const authData = authenticatorData(rpId, 0, credential.counter);
    const clientDataJSON = clientData("webauthn.get", publicKey.challenge);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return credentialOf(credential, {
      clientDataJSON: arrayBuffer(clientDataJSON),
      authenticatorData: arrayBuffer(authData),
      signature: arrayBuffer(signature),
      userHandle: arrayBuffer(credential.userHandle),
    });
  }

  // What @simplewebauthn/browser looks for: a PublicKeyCredential constructor, then
  // navigator.credentials (Node 20 has no navigator; later versions have one without it).
  globalThis.PublicKeyCredential ??= class PublicKeyCredential {};
  const container = { create, get };
  if (globalThis.navigator) {
    Object.defineProperty(globalThis.navigator, "credentials", { value: container, configurable: true });
  } else {
    globalThis.navigator = { credentials: container };
  }
  return { credentials };
}
