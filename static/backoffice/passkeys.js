// Passkeys in the back office: beside every authenticator-code field (sign-in and every
// step-up), a button answers with a passkey instead of a code; on the passkeys page, adding
// one asks the browser to create it. The server checks everything (backoffice/webauthn.py).
// Needs static/webauthn/webauthn.js, loaded before it.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.WebAuthnJSON || !WebAuthnJSON.supported()) return;
  var authenticateUrl = script.dataset.authenticate;
  var registerUrl = script.dataset.register;

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
      .then(WebAuthnJSON.get)
      .then(function (credential) {
        input.value = WebAuthnJSON.stringify(credential);
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
        .then(WebAuthnJSON.create)
        .then(function (credential) {
          field.value = WebAuthnJSON.stringify(credential);
          addForm.submit();
        })
        .catch(function (error) {
          say(addForm.querySelector("input[type=submit]"), "No passkey was created (" + (error.message || error.name) + ").");
        });
    });
  }
})();
