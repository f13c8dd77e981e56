// Passkeys on the hosted checkout (templates/checkout/_passkey*.html): ask the server for the
// options, the browser for the passkey, then post its answer in the form's hidden field. The
// server checks everything (payments/services/passkey_auth.py).
(function () {
  "use strict";
  if (window.__checkoutPasskey) return; // included once per page, maybe twice in markup
  window.__checkoutPasskey = true;

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

  function answer(credential) {
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
  }

  function say(form, text) {
    var note = form.querySelector(".err");
    if (!note) {
      note = document.createElement("p");
      note.className = "err";
      note.setAttribute("role", "alert");
      form.appendChild(note);
    }
    note.textContent = text;
  }

  function wire(form, ceremony) {
    if (!form) return;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      form.hidden = true; // no passkeys in this browser: the code path stays
      return;
    }
    form.addEventListener("submit", function (event) {
      var field = form.querySelector("input[name=credential]");
      if (field.value) return;
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.dataset.options, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value },
      })
        .then(function (response) {
          if (!response.ok) throw new Error("Passkeys are not available for this payment.");
          return response.json();
        })
        .then(ceremony)
        .then(function (credential) {
          field.value = answer(credential);
          form.submit();
        })
        .catch(function (error) {
          button.disabled = false;
          say(form, "Your device did not confirm it (" + (error.message || error.name) + ").");
        });
    });
  }

  wire(document.getElementById("passkey-verify-form"), function (o) {
    return navigator.credentials.get({
      publicKey: {
        challenge: toBytes(o.challenge),
        rpId: o.rpId,
        timeout: o.timeout,
        userVerification: o.userVerification,
        allowCredentials: descriptors(o.allowCredentials),
      },
    });
  });

  wire(document.getElementById("passkey-register-form"), function (o) {
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
  });

  // An offer to save a passkey is read before the page returns to the merchant by itself.
  if (document.getElementById("passkey-register-form")) {
    window.addEventListener("load", function () {
      var stay = document.getElementById("stay-btn");
      if (stay) stay.click();
    });
  }
})();
