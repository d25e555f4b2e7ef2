"""The results bus: versioned messages on a RabbitMQ fanout exchange that every replica consumes."""

from polls.bus.fanout import ResultsBus
from polls.bus.messages import MessageError, decode_results, encode_results

__all__ = ["MessageError", "ResultsBus", "decode_results", "encode_results"]
