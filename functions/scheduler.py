"""Scheduler Lambda: an EventBridge schedule ticks every minute → start the due cron runs, then
ping the WebSocket connections whose keepalive is due (docs/realtime.md, "Keepalive")."""

from stepstream import load_app
from stepstream.handlers import scheduler_handler

# The app is looked up through this module's ``load_app`` on every tick (it is cached), so a
# test can hand the scheduler an app of its own.
handler = scheduler_handler(lambda: load_app())
