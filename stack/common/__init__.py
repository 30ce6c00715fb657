"""Plumbing shared by the stack's services (database pools, uvicorn, AMQP connects, backoff)."""
