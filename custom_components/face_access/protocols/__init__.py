"""Vendor protocols of face-recognition terminals, free of Home Assistant.

`model` is the shared domain model, `images` the shared picture handling, `wire` tolerant
JSON, `client` the interface every protocol client offers, `http` the HTTP request and
reply types and device authentication, and `command_queue` the saved queue of devices that
fetch their commands. One package per protocol family holds its codec and client
(`hfsecurity_mqtt`, `temperature_http`).

Subpackages import their siblings relatively (`from ..model import`; pyproject.toml allows it there)
so that this package can later ship on its own, under another name.
"""
