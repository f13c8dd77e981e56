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
