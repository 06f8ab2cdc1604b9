"""tools/aws_batch_job_definition.json is a job definition `aws batch register-job-definition
--cli-input-json` accepts (the fields it requires, parameters the command refers to all declared)
and retries what the app asks schedulers to retry: exit 75 (checkpointed after SIGTERM) and a
reclaimed spot host, while a failed run (exit 3) ends the job."""
import json
import re
import sys

d = json.load(open(sys.argv[1]))
errors = []
for key in ("jobDefinitionName", "type", "containerProperties", "retryStrategy"):
    if key not in d:
        errors.append(f"missing {key}")
c = d.get("containerProperties", {})
if not c.get("image") or not c.get("command"):
    errors.append("containerProperties needs image and command")
for arg in c.get("command", []):
    for ref in re.findall(r"Ref::(\w+)", arg):
        if ref not in d.get("parameters", {}):
            errors.append(f"command uses Ref::{ref}, which parameters do not declare")
env = {e["name"]: e["value"] for e in c.get("environment", [])}
if "AWS_BATCH_JOB_ARRAY_SIZE" not in env:
    errors.append("AWS_BATCH_JOB_ARRAY_SIZE must be set: the app refuses an array index without it")
rules = d.get("retryStrategy", {}).get("evaluateOnExit", [])
if not 1 <= d.get("retryStrategy", {}).get("attempts", 0) <= 10:
    errors.append("retryStrategy.attempts must be 1 … 10")
if len(rules) > 5:
    errors.append("evaluateOnExit holds at most 5 rules")


def action(exit_code, reason="Essential container in task exited", status_reason=""):
    from fnmatch import fnmatchcase
    for r in rules:
        if "onExitCode" in r and not fnmatchcase(str(exit_code), r["onExitCode"]):
            continue
        if "onReason" in r and not fnmatchcase(reason, r["onReason"]):
            continue
        if "onStatusReason" in r and not fnmatchcase(status_reason, r["onStatusReason"]):
            continue
        return r["action"]
    return "RETRY"  # Batch's rule when nothing matches


expected = [((75,), "RETRY"), ((3,), "EXIT"), ((1,), "EXIT"), ((0, "x", "Host EC2 (instance i-1) terminated."), "RETRY")]
for args, want in expected:
    if action(*args) != want:
        errors.append(f"exit {args[0]} {args[2] if len(args) > 2 else ''}: {action(*args)}, expected {want}")
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("job definition ok: retries exit 75 and reclaimed hosts, ends on failures")
