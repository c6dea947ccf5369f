"""The daily (and weekly) digest for comms leads: figures, text, a chart, sent on Telegram.

`content` computes the figures (pure), `render` writes them as text and Telegram HTML in
Dutch or English, `chart` draws the PNG, `schedule` decides what is due when (pure), `build`
reads the store for them, and `send` delivers on Telegram once per recipient and period.
This module imports nothing, so the config loader can import `digest.config` cheaply.
"""
