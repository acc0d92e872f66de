"""Stand-alone device simulators and test infrastructure (MQTT broker launcher).

Nothing in this package imports ``custom_components`` or ``homeassistant``: each simulator
is an independent implementation of its vendor document, so that tests can use it to
catch mistakes in the integration's own codec.
"""
