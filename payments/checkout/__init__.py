"""The hosted checkout a shopper pays an order in, and the demo shop that sends shoppers to it.

Pages are addressed by the order's unguessable checkout token, and a payment's pages by that
token plus the payment's public id. Views parse with ``forms``, act through
``payments.services``, and render ``templates/checkout``.
"""
