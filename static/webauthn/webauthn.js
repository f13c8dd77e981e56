// WebAuthn in JSON, shared by the checkout's and the back office's passkey scripts: the server's
// options (base64url strings) become the browser's ceremony, and the browser's credential
// becomes the JSON the server checks (py_webauthn's format). Nothing else happens here.
(function () {
  "use strict";
  if (window.WebAuthnJSON) return;

  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: toBytes(c.id), transports: c.transports };
    });
  }

  window.WebAuthnJSON = {
    supported: function () {
      return Boolean(window.PublicKeyCredential && navigator.credentials);
    },
    // Answer a sign-in or step-up challenge with an existing passkey.
    get: function (o) {
      return navigator.credentials.get({
        publicKey: {
          challenge: toBytes(o.challenge),
          rpId: o.rpId,
          timeout: o.timeout,
          userVerification: o.userVerification,
          allowCredentials: descriptors(o.allowCredentials),
        },
      });
    },
    // Create a passkey.
    create: function (o) {
      return navigator.credentials.create({
        publicKey: {
          challenge: toBytes(o.challenge),
          rp: o.rp,
          user: { id: toBytes(o.user.id), name: o.user.name, displayName: o.user.displayName },
          pubKeyCredParams: o.pubKeyCredParams,
          timeout: o.timeout,
          attestation: o.attestation,
          authenticatorSelection: o.authenticatorSelection,
          excludeCredentials: descriptors(o.excludeCredentials),
        },
      });
    },
    // The credential as the JSON text the server's form field takes.
    stringify: function (credential) {
      var r = credential.response;
      var out = {
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        clientExtensionResults: credential.getClientExtensionResults(),
        authenticatorAttachment: credential.authenticatorAttachment || undefined,
        response: { clientDataJSON: toText(r.clientDataJSON) },
      };
      if (r.attestationObject) {
        out.response.attestationObject = toText(r.attestationObject);
        if (r.getTransports) out.response.transports = r.getTransports();
      } else {
        out.response.authenticatorData = toText(r.authenticatorData);
        out.response.signature = toText(r.signature);
        if (r.userHandle) out.response.userHandle = toText(r.userHandle);
      }
      return JSON.stringify(out);
    },
  };
})();
