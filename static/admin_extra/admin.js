'use strict';
// The back office's few behaviours; pages work without them (server-rendered first).
{
    // The menu is a disclosure on phones and always open beside the page on wider screens.
    const menu = document.getElementById('mp-nav-menu');
    if (menu) {
        const wide = window.matchMedia('(min-width: 1024px)');
        const sync = () => { if (wide.matches) { menu.open = true; } };
        sync();
        wide.addEventListener('change', sync);
    }
}
{
    // The refund form: the amount that will be refunded, kept current as it is typed (the
    // server checks it again; this only shows it). Integer arithmetic on minor units.
    const box = document.getElementById('refund-preview-box');
    const input = document.getElementById('id_amount');
    if (box && input) {
        const out = document.getElementById('refund-preview');
        const note = document.getElementById('refund-preview-note');
        const submit = document.querySelector('#refund-form input[type=submit]');
        const exp = Number(box.dataset.exponent);
        const toMinor = (text) => {
            const m = text.match(/^(\d{1,15})(?:\.(\d*))?$/);
            if (!m || (m[2] || '').length > exp) { return null; }
            return Number(m[1] + (m[2] || '').padEnd(exp, '0'));
        };
        const refundable = toMinor(box.dataset.refundable);
        const fmt = new Intl.NumberFormat(document.documentElement.lang || undefined, {
            style: 'currency', currency: box.dataset.currency,
            minimumFractionDigits: exp, maximumFractionDigits: exp,
        });
        const money = (minor) => {
            const unit = 10 ** exp;
            const major = exp ? `${Math.floor(minor / unit)}.${String(minor % unit).padStart(exp, '0')}` : String(minor);
            return fmt.format(major);
        };
        const update = () => {
            const text = input.value.trim();
            let minor = null;
            let why = '';
            if (!text) {
                minor = refundable;
                why = '(everything refundable: the amount field is empty)';
            } else {
                minor = toMinor(text);
                if (minor === null || minor <= 0) {
                    minor = null;
                    why = '(the amount entered is not one)';
                } else if (minor > refundable) {
                    why = `(more than the refundable ${money(refundable)}: it will be refused)`;
                }
            }
            out.textContent = minor === null ? '–' : money(minor);
            note.textContent = why;
            submit.value = minor === null ? 'Refund' : `Refund ${money(minor)}`;
        };
        input.addEventListener('input', update);
    }
}
