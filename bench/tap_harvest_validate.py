"""Check a tap-harvest output file: executed by the tap's own virtualenv.

Reads Singer messages (one JSON object per line) and validates every RECORD
against the latest SCHEMA message of its stream, with the jsonschema that
tap-harvest installs. Prints one JSON object: {"counts": {stream: n},
"invalid": [first problems], "invalid_count": n}.

    .venv-tap/bin/python bench/tap_harvest_validate.py out.jsonl
"""

import json
import sys

from jsonschema import Draft4Validator, FormatChecker

MAX_PROBLEMS_SHOWN = 20


def validate(path: str) -> dict:
    validators: dict[str, Draft4Validator] = {}
    counts: dict[str, int] = {}
    problems: list[str] = []
    invalid_count = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            message = json.loads(line)
            stream = message.get("stream")
            if message["type"] == "SCHEMA":
                validators[stream] = Draft4Validator(
                    message["schema"], format_checker=FormatChecker()
                )
                counts.setdefault(stream, 0)
            elif message["type"] == "RECORD":
                counts[stream] = counts.get(stream, 0) + 1
                if stream not in validators:
                    invalid_count += 1
                    problems.append(f"{stream}: RECORD before its SCHEMA")
                    continue
                errors = list(validators[stream].iter_errors(message["record"]))
                if errors:
                    invalid_count += 1
                    first = errors[0]
                    where = "/".join(str(part) for part in first.absolute_path)
                    problems.append(f"{stream} {where}: {first.message[:200]}")
    return {
        "counts": counts,
        "invalid_count": invalid_count,
        "invalid": problems[:MAX_PROBLEMS_SHOWN],
    }


if __name__ == "__main__":
    json.dump(validate(sys.argv[1]), sys.stdout)
