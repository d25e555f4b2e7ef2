"""Wire format of a results snapshot on the bus. Schema version 1; a reader drops what it cannot read."""

from __future__ import annotations

import json
from typing import Any

from polls.domain import OptionResult, Results

SCHEMA = 1


class MessageError(ValueError):
    pass


def encode_results(results: Results) -> bytes:
    return json.dumps({"schema": SCHEMA, "type": "results", **results.as_dict()}).encode()


def decode_results(body: bytes) -> Results:
    try:
        data: Any = json.loads(body)
        if data.get("schema") != SCHEMA or data.get("type") != "results":
            raise MessageError(
                f"unsupported message: schema={data.get('schema')!r} type={data.get('type')!r}"
            )
        options = tuple(OptionResult(int(o["id"]), str(o["label"]), int(o["votes"])) for o in data["options"])
        return Results(
            str(data["code"]), int(data["version"]), int(data["voters"]), str(data["status"]), options
        )
    except MessageError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MessageError(f"malformed results message: {exc}") from None
