"""Webhooks: addresses told of events, and the deliveries that tell them."""
