"""keyward's Python binding from outside the source tree: verifies `keyward verify` case files
and checks each verdict against the case's "expect" member.
    python3 verify_cases.py examples/cases/*.json"""
import json
import sys

import keyward

bad = 0
for path in sys.argv[1:]:
    case = json.load(open(path))
    v = keyward.verify_case(json.dumps(case))
    print(f"{path}: {'verified' if v.verified else v.error.name}")
    bad += v.verified != (case["expect"] == "ok")
sys.exit(1 if bad or len(sys.argv) < 2 else 0)
