"""The live bus: versioned snapshots on a RabbitMQ fanout exchange that every replica consumes."""

from polls.bus.fanout import LiveBus
from polls.bus.messages import MessageError, Presence, decode, encode

__all__ = ["LiveBus", "MessageError", "Presence", "decode", "encode"]
