"""Vendor protocols of face-recognition terminals, free of Home Assistant.

`model` is the shared domain model, `images` the shared picture handling, `client` the
interface every protocol client offers, and one module per protocol family holds its codec
and client.
"""
