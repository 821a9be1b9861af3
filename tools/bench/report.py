"""The run report the Python peers publish, shaped and split like the Rust functions' reports."""

import json

# SNS takes at most 256 KiB per message; leave room for the subject and attributes.
LIMIT = 250 * 1024


def publish(sns, topic, function, outcomes, skips):
    """Publishes the report to `topic` (in parts when large) and returns it."""
    counts = {}
    for outcome in outcomes:
        counts[outcome["result"]] = counts.get(outcome["result"], 0) + 1
    counts["skipped"] = len(skips)
    report = {"function": function, "counts": counts, "outcomes": outcomes, "skips": skips}
    if topic:
        entries = [("outcomes", o) for o in outcomes] + [("skips", s) for s in skips]
        parts, current, size = [], {"outcomes": [], "skips": []}, 0
        for key, entry in entries:
            length = len(json.dumps(entry)) + 1
            if size + length > LIMIT and size:
                parts.append(current)
                current, size = {"outcomes": [], "skips": []}, 0
            current[key].append(entry)
            size += length
        parts.append(current)
        for index, part in enumerate(parts, 1):
            message = dict(part, function=function, counts=counts, part={"index": index, "of": len(parts)})
            sns.publish(
                TopicArn=topic,
                Subject=f"{function}: {counts}"[:99],
                Message=json.dumps(message),
            )
    return report
