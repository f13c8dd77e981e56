/* Hosted checkout: field checks before anything is sent, one submission per click, status poll.
   The server checks everything again; this only saves the shopper a round trip. */
(function () {
  "use strict";
  // The page's messages in its language (json_script "checkout-text"); English if absent.
  var T = {};
  try { T = JSON.parse(document.getElementById("checkout-text").textContent) || {}; } catch (e) { T = {}; }
  function t(key, english) { return T[key] || english; }
  var BINS = [["amex", 34, 34], ["amex", 37, 37], ["diners", 300, 305], ["diners", 36, 36],
    ["diners", 38, 39], ["jcb", 3528, 3589], ["visa", 4, 4], ["mastercard", 51, 55],
    ["mastercard", 2221, 2720], ["discover", 6011, 6011], ["discover", 644, 649],
    ["discover", 65, 65], ["unionpay", 62, 62]];
  var LENGTHS = {visa: [13, 16, 19], mastercard: [16], amex: [15], discover: [16, 17, 18, 19],
    jcb: [16, 17, 18, 19], unionpay: [16, 17, 18, 19], diners: [14, 15, 16, 17, 18, 19]};
  var NAMES = {visa: "Visa", mastercard: "Mastercard", amex: "Amex", discover: "Discover",
    jcb: "JCB", unionpay: "UnionPay", diners: "Diners"};

  function digits(s) { return s.replace(/[\s-]/g, ""); }
  function brand(d) {
    if (!/^[0-9]+$/.test(d)) return null;
    for (var i = 0; i < BINS.length; i++) {
      var size = String(BINS[i][1]).length;
      if (d.length >= size) {
        var p = +d.slice(0, size);
        if (p >= BINS[i][1] && p <= BINS[i][2]) return BINS[i][0];
      }
    }
    return null;
  }
  function luhn(d) {
    var sum = 0;
    for (var i = 0; i < d.length; i++) {
      var n = +d[d.length - 1 - i];
      if (i % 2) { n *= 2; if (n > 9) n -= 9; }
      sum += n;
    }
    return sum % 10 === 0;
  }
  function expiry(v) {
    var m = /^\s*([0-9]{1,2})\s*[\/\- ]\s*([0-9]{2}|[0-9]{4})\s*$/.exec(v) || /^\s*([0-9]{2})([0-9]{2})\s*$/.exec(v);
    return m ? {month: +m[1], year: m[2].length === 2 ? 2000 + +m[2] : +m[2]} : null;
  }

  var RULES = {
    number: function (v) {
      var d = digits(v), b = brand(d), lengths = b ? LENGTHS[b] : [12, 13, 14, 15, 16, 17, 18, 19];
      if (!d) return t("number_required", "Enter your card number.");
      if (!/^[0-9]+$/.test(d)) return t("number_invalid", "Your card number is invalid.");
      if (d.length < lengths[0]) return t("number_incomplete", "Your card number is incomplete.");
      if (lengths.indexOf(d.length) < 0 || !luhn(d)) return t("number_invalid", "Your card number is invalid.");
      return "";
    },
    exp: function (v) {
      if (!v.trim()) return t("exp_required", "Enter the expiry date.");
      var e = expiry(v), now = new Date(), y = now.getUTCFullYear(), m = now.getUTCMonth() + 1;
      if (!e || e.month < 1 || e.month > 12 || e.year > y + 50) return t("exp_invalid", "Your card's expiry date is invalid.");
      if (e.year < y || (e.year === y && e.month < m)) return t("exp_past", "Your card has expired.");
      return "";
    },
    cvc: function (v) {
      var b = brand(digits(field("number").value)), re = b === "amex" ? /^[0-9]{4}$/ : b ? /^[0-9]{3}$/ : /^[0-9]{3,4}$/;
      if (!v.trim()) return t("cvc_required", "Enter your card's security code.");
      if (re.test(v.trim())) return "";
      if (b === "amex") return t("cvc_amex", "Amex security codes have 4 digits, on the front of the card.");
      return b ? t("cvc_three", "This card's security code has 3 digits, on the back of the card.") : t("cvc_invalid", "Your card's security code is invalid.");
    },
    holder_name: function (v) {
      if (!v.trim()) return t("name_required", "Enter the name on the card.");
      return /^[\p{L}\p{M} .'-]+$/u.test(v.trim()) && /\p{L}/u.test(v) ? "" : t("name_invalid", "The name on the card is invalid.");
    },
    phone: function (v) {
      if (!v.trim()) return t("phone_required", "Enter your phone number.");
      return /^\+[1-9][0-9]{7,14}$/.test(v.replace(/[\s\-()]/g, "")) ? "" : t("phone_invalid", "Enter your phone number with its country code, e.g. +44 20 7946 0958.");
    },
    code: function (v) {
      return /^[0-9]{6}$/.test(v.replace(/[\s-]/g, "")) ? "" : t("code_invalid", "Enter the 6-digit code.");
    }
  };
  var PANES = {card: ["number", "exp", "cvc", "holder_name"], wallet: ["phone"], bank_transfer: []};

  function field(name) { return document.getElementById(name); }
  function show(input, message) {
    var err = document.getElementById(input.id + "-err");
    if (err) err.textContent = message;
    if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    return !message;
  }
  function check(input) { return show(input, RULES[input.id](input.value)); }
  function fieldsToCheck(form) {
    if (form.id === "otp-form") return [field("code")];
    var picked = form.querySelector("input[name=method]:checked") || form.querySelector("input[name=method][type=hidden]");
    // A saved card chosen: nothing to type, the server checks the choice.
    var saved = form.querySelector("input[name=saved_card]:checked");
    if (picked && picked.value === "card" && saved && saved.value) return [];
    return picked ? PANES[picked.value].map(field) : [];
  }

  function formatNumber(input) {
    var d = digits(input.value).replace(/[^0-9]/g, "").slice(0, 19), b = brand(d), out;
    out = b === "amex" ? [d.slice(0, 4), d.slice(4, 10), d.slice(10)] : d.match(/.{1,4}/g) || [];
    var atEnd = input.selectionStart === input.value.length;
    if (atEnd) input.value = out.filter(Boolean).join(" ");
    var tag = document.getElementById("number-brand");
    if (tag) tag.textContent = b ? NAMES[b] : "";
  }
  function formatExpiry(input, ev) {
    if ((ev.inputType || "").indexOf("delete") === 0 || input.selectionStart !== input.value.length) return;
    // Up to six digits: a year typed in full ("12/2035") is kept, not cut to "12 / 20".
    var d = input.value.replace(/[^0-9]/g, "").slice(0, 6);
    if (/^[2-9]$/.test(d)) d = "0" + d;
    input.value = d.length >= 2 ? d.slice(0, 2) + " / " + d.slice(2) : d;
  }

  function once(form) {
    form.addEventListener("submit", function (ev) {
      var bad = fieldsToCheck(form).filter(function (input) { return input && RULES[input.id] && !check(input); });
      if (bad.length) { ev.preventDefault(); bad[0].focus(); return; }
      if (form.dataset.sent) { ev.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
        if (b.classList.contains("pay")) b.textContent = t("processing", "Processing…");
      });
    });
  }

  // A page answering a POST (a wrong code, a refused card) becomes a plain GET entry of the
  // history: Back or reload then asks the server again instead of offering to resubmit.
  if (window.history.replaceState) window.history.replaceState(window.history.state, "", window.location.href);

  document.querySelectorAll("form[data-once]").forEach(once);
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) return;  // back from the next page: the form may be used again
    document.querySelectorAll("form[data-once]").forEach(function (f) {
      delete f.dataset.sent;
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });
  Object.keys(RULES).forEach(function (name) {
    var input = field(name);
    if (!input) return;
    // Fields are checked when the form is sent, not when they are left: a message added on
    // leaving a field moved the Pay button down under the pointer between press and release,
    // and the press was lost. Typing only clears a message once the entry is right.
    input.addEventListener("input", function (ev) {
      if (name === "number") formatNumber(input);
      if (name === "exp") formatExpiry(input, ev);
      if (input.getAttribute("aria-invalid") && !RULES[name](input.value)) show(input, "");
    });
  });
  var number = field("number");
  if (number && number.value) formatNumber(number);

  // Dynamic currency conversion: once a complete, valid card number is typed, ask whether the
  // card may pay in its own currency (only its first six digits are sent) and show the choice
  // under the number. A number that is still wrong sends nothing. Without this script the
  // server shows the same choice on the first submission.
  var slot = document.getElementById("dcc-slot"), payBtn = document.getElementById("pay-btn"),
    cardLabel = document.getElementById("pay-label");
  function payLabel() {
    var chosen = slot.querySelector("input[name=dcc_quote]:checked");
    if (cardLabel && payBtn && !payBtn.disabled) cardLabel.textContent = chosen ? chosen.dataset.payLabel : cardLabel.dataset.defaultLabel;
  }
  function binOf(value) {
    return RULES.number(value) ? "" : digits(value).slice(0, 6);
  }
  if (slot && number) {
    var lastBin = binOf(number.value), csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    number.addEventListener("input", function () {
      var bin = binOf(number.value);
      if (bin === lastBin) return;
      lastBin = bin;
      if (!bin) { slot.textContent = ""; payLabel(); return; }
      fetch(slot.dataset.dccUrl, {
        method: "POST", body: new URLSearchParams({bin: bin}), credentials: "same-origin", cache: "no-store",
        headers: {"X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json"}
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || bin !== lastBin) return;  // another number was typed meanwhile
          slot.innerHTML = data.html;
          payLabel();
        })
        .catch(function () {});  // the server makes the offer on submission instead
    });
    slot.addEventListener("change", payLabel);
    if (slot.querySelector("input[name=dcc_quote]")) payLabel();
  }

  var waiting = document.querySelector("[data-poll-url]");
  if (waiting) {
    var poll = function () {
      fetch(waiting.dataset.pollUrl, {headers: {Accept: "application/json"}, cache: "no-store", credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.status !== waiting.dataset.status) window.location.reload();
          else window.setTimeout(poll, 3000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 3000);
  }

  // A refusal the server answered at the top of the page (not beside a field) gets the focus,
  // so it is read out and seen on a phone too.
  var alertBox = document.querySelector("[data-focus]");
  if (alertBox && !document.querySelector("[autofocus][aria-invalid]")) alertBox.focus();

  // Bank transfer: copy buttons (shown only where the clipboard can be written).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    var status = document.getElementById(button.dataset.copy + "-copied");
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        if (status) status.textContent = t("copied", "Copied");
      }, function () {
        if (status) status.textContent = t("copy_failed", "Could not copy: select the text and copy it.");
      });
    });
  });

  // The transfer deadline in the shopper's own time zone, beside the UTC one the server wrote.
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime")), target = document.getElementById(el.dataset.local);
    if (!target || isNaN(when)) return;
    try {
      var fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
      target.textContent = fmt.format(when);
      target.hidden = false;
    } catch (e) { /* the UTC time stays */ }
  });

  // The automatic return can be stopped (WCAG 2.2.1); its note exists only when it runs.
  var back = document.querySelector("[data-auto-redirect]"), note = document.getElementById("auto-return");
  if (back) {
    var timer = window.setTimeout(function () { window.location.assign(back.href); }, 1000 * +back.dataset.autoRedirect);
    if (note) {
      note.hidden = false;
      document.getElementById("stay-btn").addEventListener("click", function () {
        window.clearTimeout(timer);
        note.textContent = t("stay", "You will stay on this page.");
        back.focus();
      });
    }
  }
})();
