"""``scripts/bench``: Face Access measured against a floor, on one real Home Assistant.

``python -m bench`` (see ``__main__``) starts Home Assistant, the MQTT broker and the
simulators on 127.0.0.1 with the demo's machinery, and measures, per implemented protocol
(``bench.protocols.ADAPTERS``): push ingest beside the floor component, scale in devices,
the door round trip and enrollment. ``bench.report`` writes the results.
"""
