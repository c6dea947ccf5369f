"""Telegram on-call alerting and triage from the phone.

`service.start_telegram` wires it into `webcare run`; `sink` delivers alerts (one message per
incident and chat, edited as it grows), `bot` answers buttons and commands, `format` renders
HTML, `directory` and `rota` resolve recipients, on-call and quiet hours. This package module
imports nothing heavy, so the config loader can use `rota` without loading the Telegram client.
"""
