"""GET /__test/passkey-page: a minimal page from which a real browser runs the passkey
ceremonies against this gateway (tests/integration/test_passkey_browser.py drives it in
headless Chromium with a virtual authenticator).

Registered by the app in test mode only (AUTHMESH_MODE=test): production serves no page. The
page lives on the gateway's own origin, the relying party's, so the browser's clientDataJSON
names an origin the mfa service accepts. Its script exposes `window.authmesh`, whose methods
answer `{status, body}`; it uses the browser's own JSON codecs for WebAuthn
(`PublicKeyCredential.parseCreationOptionsFromJSON`, `toJSON()`), as an app would.
"""

from fastapi import APIRouter
from starlette.responses import HTMLResponse

PATH = "/__test/passkey-page"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Authmesh passkey test page</title></head>
<body>
<p>Authmesh passkey test page (test mode only).</p>
<script>
async function call(method, path, body) {
  const init = {method, credentials: "same-origin", headers: {}};
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch("/api/auth" + path, init);
  const text = await response.text();
  return {status: response.status, body: text ? JSON.parse(text) : null};
}

window.authmesh = {
  signUp: (email, password) =>
    call("POST", "/sign-up/email", {name: "Browser", email, password}),
  signOut: () => call("POST", "/sign-out", {}),
  session: () => call("GET", "/get-session"),
  listPasskeys: () => call("GET", "/passkey/list-user-passkeys"),
  async registerPasskey(name) {
    const options = await call("GET", "/passkey/generate-register-options");
    if (options.status !== 200) return options;
    const credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.body),
    });
    return call("POST", "/passkey/verify-registration", {response: credential.toJSON(), name});
  },
  async signInWithPasskey() {
    const options = await call("GET", "/passkey/generate-authenticate-options");
    if (options.status !== 200) return options;
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.body),
    });
    return call("POST", "/passkey/verify-authentication", {response: credential.toJSON()});
  },
};
</script>
</body>
</html>
"""

router = APIRouter()


@router.get(PATH)
async def passkey_page() -> HTMLResponse:
    return HTMLResponse(PAGE)
