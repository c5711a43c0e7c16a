"""``smpolicy init --ci``: a scheduled job that upgrades the packs and proposes the rebuilds.

The job's steps live in one shell script written into the workspace (``ci/smpolicy-update.sh``)
so that the same steps run under GitHub Actions, GitLab CI, or by hand, and can be tested
against a local git repository. The workflow files only schedule it.
"""

from __future__ import annotations

from pathlib import Path

from smpolicy._fsutil import atomic_write

SCRIPT_PATH = "ci/smpolicy-update.sh"

UPDATE_SCRIPT = r"""#!/usr/bin/env bash
# Weekly regulation update for this smpolicy workspace, written by `smpolicy init --ci`.
#  1. upgrade the regulation packs (smpolicy-packs);
#  2. `smpolicy check --json`: stop when every policy is current;
#  3. rebuild the stale policies on a branch and commit them (new versions, archive, redlines);
#  4. open (or update) a pull/merge request listing each policy's reasons and its redline.
# Settings (environment): SMPOLICY_UPGRADE (command that upgrades the packs),
# SMPOLICY_BRANCH (branch name), SMPOLICY_OPEN_PR (github | gitlab | none),
# SMPOLICY_REMOTE (default origin), SMPOLICY_PR_BODY (where the description is written).
set -euo pipefail

upgrade=${SMPOLICY_UPGRADE:-"python -m pip install --quiet --upgrade smpolicy-packs"}
branch=${SMPOLICY_BRANCH:-"smpolicy/regulation-update"}
open_pr=${SMPOLICY_OPEN_PR:-none}
remote=${SMPOLICY_REMOTE:-origin}
body=${SMPOLICY_PR_BODY:-"${RUNNER_TEMP:-${TMPDIR:-/tmp}}/smpolicy-pr.md"}
report="$(mktemp)"
trap 'rm -f "$report"' EXIT

echo "smpolicy-update: upgrading the regulation packs"
eval "$upgrade"
smpolicy --version

status=0
smpolicy check --json >"$report" || status=$?
if [ "$status" -eq 0 ]; then
  echo "smpolicy-update: every policy is current; nothing to do"
  exit 0
elif [ "$status" -ne 1 ]; then
  echo "smpolicy-update: smpolicy check failed (exit $status)" >&2
  exit "$status"
fi

mapfile -t stale < <(python - "$report" <<'PY'
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
for policy in data["policies"]:
    if not policy["current"]:
        print(policy["profile"])
PY
)
echo "smpolicy-update: ${#stale[@]} stale policies"

git checkout -B "$branch"
built="$(mktemp)"
smpolicy build "${stale[@]}" >"$built"

python - "$report" "$built" "$body" <<'PY'
import json, os, sys
report, built, body = sys.argv[1:4]
data = json.load(open(report, encoding="utf-8"))
outputs = [line.strip() for line in open(built, encoding="utf-8") if line.strip()]
lines = ["Regulation update: smpolicy rebuilt the policies below because their inputs changed.", ""]
for policy in data["policies"]:
    if policy["current"]:
        continue
    name = policy["name"]
    docs = [o for o in outputs if os.path.basename(o).startswith(name + ".")]
    folder = os.path.dirname(docs[0]) if docs else "."
    redline = os.path.join(folder, name + ".redline.docx")
    lines.append(f"### {policy['profile']} (was version {policy['version']})")
    lines.append("")
    lines.extend(f"- {reason}" for reason in policy["reasons"])
    if os.path.exists(redline):
        lines.append(f"- Tracked changes: [{os.path.basename(redline)}]({redline})")
    lines.append("")
lines.append("Review each redline, then merge to issue the new versions.")
with open(body, "w", encoding="utf-8") as handle:
    handle.write("\n".join(lines) + "\n")
PY
rm -f "$built"

git add -A
git commit --quiet -m "Regulation update: rebuild ${#stale[@]} stale policies" -m "$(cat "$body")"
echo "smpolicy-update: committed on $branch; description in $body"

title="Regulation update: ${#stale[@]} policies rebuilt"
case "$open_pr" in
  github)
    git push --force "$remote" "$branch"
    gh pr create --title "$title" --body-file "$body" --head "$branch" \
      || gh pr edit "$branch" --title "$title" --body-file "$body"
    ;;
  gitlab)
    git push --force "$remote" "$branch" \
      -o merge_request.create -o merge_request.title="$title" \
      -o merge_request.description="$(cat "$body")"
    ;;
  none) ;;
  *) echo "smpolicy-update: SMPOLICY_OPEN_PR must be github, gitlab or none" >&2; exit 2 ;;
esac
"""

GITHUB_WORKFLOW = """\
# Weekly regulation update, written by `smpolicy init --ci github`.
# Upgrades the regulation packs, rebuilds the stale policies and opens a pull request.
name: smpolicy regulation update
on:
  schedule:
    - cron: "17 6 * * 1"   # Mondays 06:17 UTC
  workflow_dispatch: {}
permissions:
  contents: write
  pull-requests: write
jobs:
  update:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: python -m pip install smpolicy smpolicy-packs
      - run: |
          git config user.name "smpolicy bot"
          git config user.email "smpolicy-bot@users.noreply.github.com"
      - run: bash ci/smpolicy-update.sh
        env:
          SMPOLICY_OPEN_PR: github
          GH_TOKEN: ${{ github.token }}
"""

GITLAB_CI = """\
# Weekly regulation update, written by `smpolicy init --ci gitlab`.
# Create a pipeline schedule (CI/CD > Schedules, weekly) for the default branch; the job
# upgrades the regulation packs, rebuilds the stale policies and opens a merge request.
# It pushes with a project access token stored as the CI variable SMPOLICY_PUSH_TOKEN.
smpolicy-regulation-update:
  image: python:3.12
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
  script:
    - python -m pip install smpolicy smpolicy-packs
    - git config user.name "smpolicy bot"
    - git config user.email "smpolicy-bot@example.invalid"
    - git remote set-url origin "https://oauth2:${SMPOLICY_PUSH_TOKEN}@${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git"
    - SMPOLICY_OPEN_PR=gitlab bash ci/smpolicy-update.sh
"""

CI_KINDS = ("github", "gitlab")


def write_ci(directory: Path, kind: str) -> list[Path]:
    """Write the update script and the scheduler for ``kind``; existing files are kept."""
    files = {SCRIPT_PATH: UPDATE_SCRIPT}
    if kind == "github":
        files[".github/workflows/smpolicy-update.yml"] = GITHUB_WORKFLOW
    else:
        files[".gitlab-ci.yml"] = GITLAB_CI
    written = []
    for name, text in files.items():
        target = directory / name
        if target.exists():
            continue
        atomic_write(target, text.encode())
        if name.endswith(".sh"):
            target.chmod(0o755)
        written.append(target)
    return written
