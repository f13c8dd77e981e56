// Passkeys in the back office: beside every authenticator-code field (sign-in and every
// step-up), a button answers with a passkey instead of a code; on the passkeys page, adding
// one asks the browser to create it. The server checks everything (backoffice/webauthn.py).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.PublicKeyCredential || !navigator.credentials) return;
  var authenticateUrl = script.dataset.authenticate;
  var registerUrl = script.dataset.register;

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

  function csrf(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function options(url, form) {
    var body = new URLSearchParams();
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(form) },
      body: body,
    }).then(function (response) {
      if (!response.ok) throw new Error("The server did not offer a passkey request.");
      return response.json();
    });
  }

  function credentialJson(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(out);
  }

  function say(anchor, text) {
    var note = anchor.parentNode.querySelector(".passkey-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "passkey-error errornote";
      note.setAttribute("role", "alert");
      anchor.parentNode.appendChild(note);
    }
    note.textContent = text;
  }

  function answerWithPasskey(input, button) {
    var form = input.form;
    button.disabled = true;
    options(authenticateUrl, form)
      .then(function (o) {
        var publicKey = {
          challenge: toBytes(o.challenge),
          rpId: o.rpId,
          timeout: o.timeout,
          userVerification: o.userVerification,
          allowCredentials: (o.allowCredentials || []).map(function (c) {
            return { type: c.type, id: toBytes(c.id), transports: c.transports };
          }),
        };
        return navigator.credentials.get({ publicKey: publicKey });
      })
      .then(function (credential) {
        input.value = credentialJson(credential);
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      })
      .catch(function (error) {
        button.disabled = false;
        say(button, "No passkey was used (" + (error.message || error.name) + "). Enter a code instead.");
      });
  }

  document.querySelectorAll("input[data-passkey]").forEach(function (input) {
    if (!input.form) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button passkey-button";
    button.textContent = "Use a passkey";
    button.addEventListener("click", function () {
      answerWithPasskey(input, button);
    });
    input.insertAdjacentElement("afterend", button);
  });

  var addForm = document.getElementById("passkey-add-form");
  if (addForm && registerUrl) {
    addForm.addEventListener("submit", function (event) {
      var field = addForm.querySelector("input[name=credential]");
      if (field.value) return;
      event.preventDefault();
      options(registerUrl, addForm)
        .then(function (o) {
          var publicKey = {
            challenge: toBytes(o.challenge),
            rp: o.rp,
            user: { id: toBytes(o.user.id), name: o.user.name, displayName: o.user.displayName },
            pubKeyCredParams: o.pubKeyCredParams,
            timeout: o.timeout,
            attestation: o.attestation,
            authenticatorSelection: o.authenticatorSelection,
            excludeCredentials: (o.excludeCredentials || []).map(function (c) {
              return { type: c.type, id: toBytes(c.id), transports: c.transports };
            }),
          };
          return navigator.credentials.create({ publicKey: publicKey });
        })
        .then(function (credential) {
          field.value = credentialJson(credential);
          addForm.submit();
        })
        .catch(function (error) {
          say(addForm.querySelector("input[type=submit]"), "No passkey was created (" + (error.message || error.name) + ").");
        });
    });
  }
})();
