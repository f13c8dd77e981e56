// Passkeys on the hosted checkout (templates/checkout/_passkey*.html): ask the server for the
// options, the browser for the passkey, then post its answer in the form's hidden field. The
// server checks everything (payments/services/passkey_auth.py). Needs static/webauthn/webauthn.js.
(function () {
  "use strict";
  if (window.__checkoutPasskey) return; // included once per page, maybe twice in markup
  window.__checkoutPasskey = true;

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
    if (!window.WebAuthnJSON || !WebAuthnJSON.supported()) {
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
          field.value = WebAuthnJSON.stringify(credential);
          form.submit();
        })
        .catch(function (error) {
          button.disabled = false;
          say(form, "Your device did not confirm it (" + (error.message || error.name) + ").");
        });
    });
  }

  wire(document.getElementById("passkey-verify-form"), WebAuthnJSON.get);
  wire(document.getElementById("passkey-register-form"), WebAuthnJSON.create);

  // An offer to save a passkey is read before the page returns to the merchant by itself.
  if (document.getElementById("passkey-register-form")) {
    window.addEventListener("load", function () {
      var stay = document.getElementById("stay-btn");
      if (stay) stay.click();
    });
  }
})();
