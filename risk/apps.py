from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk and disputes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from payments.config_cache import on_config_saved
        from payments.invariants import merchant_adjustments_register
        from payments.screening import (
            payment_field_register,
            refund_guard_register,
            screener_register,
        )
        from payments.signals import event_recorded, order_page_sections
        from settlement.adjustments import adjustment_source_register

        from .hooks import on_event_recorded, order_page_risk, payment_risk_data
        from .models import RiskSettings, Rule, ScoreModel
        from .services.disputes import (
            dispute_adjustments,
            dispute_ledger_totals,
            dispute_refund_refusal,
        )
        from .services.reviews import review_forecast, review_hold
        from .services.screening import payment_screen
        from .services.screening_many import payment_screen_many

        # Every change of the screening's configuration gives the merchant a new version.
        for model in (RiskSettings, Rule, ScoreModel):
            for signal in (post_save, post_delete):
                signal.connect(on_config_saved, sender=model, dispatch_uid=f"risk.config.{model}")
        # payments never imports risk: it asks the screener registered here before routing.
        screener_register(
            screener=payment_screen,
            holder=review_hold,
            forecast=review_forecast,
            many=payment_screen_many,
        )
        payment_field_register(name="risk", render=payment_risk_data, relation="risk_evaluation")
        event_recorded.connect(on_event_recorded, dispatch_uid="risk.on_event_recorded")
        order_page_sections.connect(order_page_risk, dispatch_uid="risk.order_page_risk")
        # The disputes' postings on merchant accounts, for the invariants and reconciliation.
        merchant_adjustments_register(dispute_ledger_totals)
        # Settlement nets them in the merchant's next batch (settlement never imports risk).
        adjustment_source_register(dispute_adjustments)
        # A payment with an open or lost dispute is not refunded (API, back office, services).
        refund_guard_register(dispute_refund_refusal)
