"""The back office's navigation: grouped by what merchants do, not by the apps that hold the models.

Each group lists the pages of ``GROUPS`` the user may open, in that order. Platform-only tools
(lockouts, authenticators, the sandbox institutions, the ledger, the audit log) are in
Operations, shown to platform staff only. A registered page no group names is listed under
"More" for whoever may open it, so a new model is never out of reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backoffice.access import is_platform_staff

#: (group, [app_label.model_name, ...]): the order of the menu.
GROUPS: list[tuple[str, list[str]]] = [
    ("Orders", ["payments.order"]),
    ("Payments", ["payments.payment", "fx.quote", "fx.conversion"]),
    ("Refunds", ["payments.refund", "fx.refundconversion"]),
    (
        "Customers",
        [
            "billing.customer",
            "billing.subscription",
            "billing.invoice",
            "invoicing.creditnote",
            "invoicing.customerbalance",
        ],
    ),
    (
        "Settlements",
        [
            "settlement.settlementbatch",
            "settlement.payout",
            "payouts.payoutbatch",
            "payouts.payoutitem",
            "payouts.recipient",
            "payouts.chargebatch",
            "payouts.chargeitem",
        ],
    ),
    (
        "Risk",
        ["risk.review", "risk.dispute", "risk.evaluation", "risk.rule", "risk.listentry"],
    ),
    (
        "Developers",
        [
            "payments.apikey",
            "webhooks.webhookendpoint",
            "webhooks.webhookdelivery",
            "payments.event",
            "developers.requestlog",
        ],
    ),
    (
        "Account",
        [
            "payments.merchant",
            "payments.merchantmembership",
            "payments.merchantfixedfee",
            "invoicing.invoicingprofile",
            "risk.risksettings",
        ],
    ),
]

OPERATIONS = "Operations"
#: Apps whose every page is a platform tool.
OPERATIONS_APPS = {"axes", "otp_totp", "otp_static", "institutions", "ledger", "auth", "backoffice"}
#: Single pages of other apps that are platform tools.
OPERATIONS_MODELS = {
    "payments.outboxmessage",
    "settlement.reconciliationrun",
    "fx.ratesnapshot",
}


@dataclass
class NavItem:
    name: str
    url: str
    current: bool = False


@dataclass
class NavGroup:
    name: str
    items: list[NavItem] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return any(item.current for item in self.items)


def _key(app: dict, model: dict) -> str:
    return f"{app['app_label']}.{model['object_name'].lower()}"


def nav_groups(app_list: list[dict], *, user, path: str) -> list[NavGroup]:
    """Return the menu for ``user`` from the admin's ``app_list`` (pages the user may open)."""
    pages: dict[str, dict] = {}
    for app in app_list:
        for model in app["models"]:
            if model.get("admin_url"):
                pages[_key(app, model)] = {**model, "app_label": app["app_label"]}
    groups: list[NavGroup] = []
    named = set()
    for name, keys in GROUPS:
        group = NavGroup(name)
        for key in keys:
            named.add(key)
            if key in pages:
                group.items.append(_item(pages[key], path))
        if group.items:
            groups.append(group)
    platform = is_platform_staff(user)
    operations, more = NavGroup(OPERATIONS), NavGroup("More")
    for key, page in pages.items():
        if key in named:
            continue
        if page["app_label"] in OPERATIONS_APPS or key in OPERATIONS_MODELS:
            if platform:
                operations.items.append(_item(page, path))
        else:
            more.items.append(_item(page, path))
    groups.extend(g for g in (more, operations) if g.items)
    return groups


def _item(page: dict, path: str) -> NavItem:
    url = page["admin_url"]
    return NavItem(name=str(page["name"]), url=url, current=path.startswith(url))
