"""Writes a CloudFormation template whose state machine inlines fleet.asl.json, for cfn-lint.

cfn-lint validates a state machine's definition only when it is inline (a DefinitionUri is an S3
object to it), so `make validate` lints this template too. The placeholders are replaced as
CloudFormation's DefinitionSubstitutions would, and must be exactly the substitutions that every
state machine of infra/template.yaml using this definition gives.

Usage: python lint-template.py infra/template.yaml infra/statemachine/fleet.asl.json OUT.json
"""

import json
import re
import sys
from pathlib import Path

from cfnlint.decode import cfn_yaml

# A plausible value of each substitution's type (an ARN, a partition, a MaxConcurrency).
SAMPLES = {
    "Partition": "aws",
    "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:dr-automation-fn",
    "MaxConcurrency": "8",
}
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def main(template_path: str, definition_path: str, out_path: str) -> int:
    definition = Path(definition_path).read_text(encoding="utf-8")
    used = set(PLACEHOLDER.findall(definition))
    unknown = used - SAMPLES.keys()
    if unknown:
        print(f"{definition_path}: no sample for {sorted(unknown)}", file=sys.stderr)
        return 1
    template = cfn_yaml.load(template_path)
    machines = {
        name: resource.get("Properties", {})
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::Serverless::StateMachine"
        and Path(template_path).parent.joinpath(
            resource.get("Properties", {}).get("DefinitionUri", "")
        ).resolve()
        == Path(definition_path).resolve()
    }
    if not machines:
        print(f"{template_path}: no state machine uses {definition_path}", file=sys.stderr)
        return 1
    for name, props in machines.items():
        given = set(props.get("DefinitionSubstitutions", {}))
        if given != used:
            print(
                f"{template_path}: {name} substitutes {sorted(given)}, "
                f"{definition_path} uses {sorted(used)}",
                file=sys.stderr,
            )
            return 1
    substituted = PLACEHOLDER.sub(lambda m: SAMPLES[m.group(1)], definition)
    lint = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Fleet": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/dr-automation-fleet",
                    "StateMachineType": "STANDARD",
                    "Definition": json.loads(substituted),
                },
            }
        },
    }
    Path(out_path).write_text(json.dumps(lint, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
