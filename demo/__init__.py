"""A real Home Assistant with simulated devices, in one command (``scripts/demo``).

One Python process runs everything: an MQTT broker (amqtt, a child process), Home Assistant
(``hass``, a child process, with this working tree's ``custom_components/face_access``
linked into its configuration directory) and one simulated device per implemented protocol
(in-process threads, so a check can read what a device received). Home Assistant is set up
over its own HTTP API exactly as a person would through the web UI: onboarding, the MQTT
integration, each device through the config flow, then the People entry with a small
roster, each person added with its *Add person* flow (photo uploaded); the integration's
sync then puts them on every terminal.

Modules: ``config`` (the configuration directory and its state), ``processes`` (child
processes that never outlive the demo), ``hass_api`` (a minimal REST and websocket client),
``devices`` (the table of demo devices and their activity), ``roster`` (the people),
``people`` (the People entry and its person subentries), ``dashboard`` (the Doors
dashboard), ``checks`` (what ``--check`` verifies) and ``runner`` (the order of things).
"""
