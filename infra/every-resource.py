"""Writes a copy of a CloudFormation template in which every condition holds, for checkov.

checkov leaves out a resource whose Condition it can evaluate to false from the parameters'
defaults, so the functions deployed only when configured (drs-recovery, for one) and the Step
Functions fleet mode would go unscanned; `make scan` scans this copy as well as the template.
The copy is never deployed: with every condition true, each !If keeps its first branch.

Usage: python every-resource.py TEMPLATE OUT.json
"""

import json
import sys
from pathlib import Path

from cfnlint.decode import cfn_yaml


def main(template_path: str, out_path: str) -> int:
    template = cfn_yaml.load(template_path)
    conditions = template.get("Conditions", {})
    if not conditions:
        print(f"{template_path}: no conditions, nothing to add to the scan", file=sys.stderr)
        return 1
    for name in conditions:
        conditions[name] = {"Fn::Equals": ["on", "on"]}
    Path(out_path).write_text(json.dumps(template, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
