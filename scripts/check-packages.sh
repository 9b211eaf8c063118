#!/usr/bin/env bash
# The packages as a user gets them from npm. Builds and packs every publishable package the way it
# is published (pnpm pack), checks the tarballs (no workspace: range, publint, Are The Types
# Wrong with the esm-only profile), installs them with npm in an empty folder outside the
# repository, then, against the sandbox: runs the README's "Embed the library" example (dry
# run), the installed `keyrotate --help` and `keyrotate plan --json` (stdout must be the JSON and
# nothing else), the demo without and with the optional sandbox package, and the shipped Lambda
# bundle on Node 22 and 24. Typechecks a TypeScript consumer with moduleResolution bundler and
# nodenext. Needs only the npm registry. Runs itself on Node 22 when the machine's Node is older.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HERE="$ROOT/scripts/package-check"
PNPM_VERSION=10.34.9

if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  exec npx --yes -p node@22 -p "pnpm@$PNPM_VERSION" -- bash "$0" "$@"
fi
# Under `npx -p …`, npx's own settings would make every nested npx run those packages instead.
unset npm_config_package npm_command npm_lifecycle_script
PNPM="npx --yes pnpm@$PNPM_VERSION"
PUBLISHED=(core aws-adapter lambda cli sandbox)
WORK="$(mktemp -d)"
SANDBOX_PID=""
cleanup() {
  if [ -n "$SANDBOX_PID" ]; then kill "$SANDBOX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "check-packages: $*" >&2
  exit 1
}
step() { echo "== $*" >&2; }
# No command may print the SDK's "will require Node >= 22" warning (or any other about Node).
no_node_warning() {
  if grep -qi "node.js version\|require node" "$1"; then
    cat "$1" >&2
    fail "$2 printed a warning about the Node version"
  fi
}

step "build (node $(node --version))"
cd "$ROOT"
$PNPM -r build >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; fail "the build failed"; }

step "npm pack is refused (it would publish workspace:* ranges)"
if (cd packages/core && npm pack --pack-destination "$WORK" >"$WORK/npm-pack.log" 2>&1); then
  fail "npm pack of @keyrotate/core succeeded: it must be refused"
fi
grep -q 'pnpm pack' "$WORK/npm-pack.log" || fail "npm pack failed without saying to use pnpm pack"
if compgen -G "$WORK/*.tgz" >/dev/null; then fail "npm pack left a tarball"; fi

step "pnpm pack"
mkdir "$WORK/tarballs"
for p in "${PUBLISHED[@]}"; do
  (cd "packages/$p" && $PNPM pack --pack-destination "$WORK/tarballs" >/dev/null)
done
tgz() { echo "$WORK/tarballs/keyrotate-$1-"*.tgz; }
for p in "${PUBLISHED[@]}"; do
  t="$(tgz "$p")"
  mkdir -p "$WORK/unpacked/$p"
  tar -xzf "$t" -C "$WORK/unpacked/$p"
  if grep -rl '"workspace:' "$WORK/unpacked/$p/package"; then
    fail "$t holds a workspace: range (in the files above)"
  fi
  step "publint, attw: @keyrotate/$p"
  (cd "$ROOT" && npx publint run --strict "$t") || fail "publint: @keyrotate/$p"
  (cd "$ROOT" && npx attw --profile esm-only --no-emoji --format ascii "$t" >"$WORK/attw.log") ||
    { cat "$WORK/attw.log" >&2; fail "attw: @keyrotate/$p"; }
done

APP="$WORK/app"
mkdir "$APP"
cd "$APP"
echo '{ "name": "consumer", "private": true, "type": "module" }' >package.json
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

step "npm install of the CLI and the libraries, without the sandbox"
npm install --no-save --loglevel=error "$(tgz core)" "$(tgz aws-adapter)" "$(tgz lambda)" "$(tgz cli)" >/dev/null
./node_modules/.bin/keyrotate --help >"$WORK/help.out" 2>"$WORK/help.err" || fail "keyrotate --help failed"
grep -q "Usage: keyrotate" "$WORK/help.out" || fail "keyrotate --help printed no usage"
no_node_warning "$WORK/help.err" "keyrotate --help"
if ./node_modules/.bin/keyrotate demo --days 1 >/dev/null 2>"$WORK/demo.err"; then
  fail "keyrotate demo ran without @keyrotate/sandbox installed"
fi
grep -q "npm install @keyrotate/sandbox" "$WORK/demo.err" ||
  { cat "$WORK/demo.err" >&2; fail "keyrotate demo without the sandbox did not say what to install"; }
# The library entry of the Lambda package builds no handler and reads no environment on import.
node --input-type=module -e 'const m = await import("@keyrotate/lambda"); if (typeof m.createHandler !== "function" || "handler" in m) process.exit(1);' \
  >"$WORK/import.out" 2>&1 || fail "importing @keyrotate/lambda: $(cat "$WORK/import.out")"
[ ! -s "$WORK/import.out" ] || fail "importing @keyrotate/lambda printed: $(cat "$WORK/import.out")"

step "npm install of the sandbox, and the TypeScript consumer's tools"
npm install --no-save --loglevel=error "$(tgz core)" "$(tgz aws-adapter)" "$(tgz lambda)" "$(tgz cli)" "$(tgz sandbox)" \
  "typescript@$(node -p "require('$ROOT/node_modules/typescript/package.json').version")" \
  "@types/node@$(node -p "require('$ROOT/node_modules/@types/node/package.json').version")" >/dev/null

cp "$HERE/sandbox.mjs" "$HERE/lambda-smoke.mjs" "$HERE/consumer.ts" .
node sandbox.mjs "$WORK/sandbox.env" &
SANDBOX_PID=$!
for _ in $(seq 100); do [ -s "$WORK/sandbox.env" ] && break; sleep 0.1; done
[ -s "$WORK/sandbox.env" ] || fail "the sandbox did not start"
while IFS='=' read -r name value; do export "$name=$value"; done < <(node -p \
  'Object.entries(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))).map(([k, v]) => `${k}=${v}`).join("\n")' \
  "$WORK/sandbox.env")
export SES_EMAIL=keyrotate@example.com SES_REGION=us-east-1 S3_CSV_BUCKET=creds-bucket

step "the README's \"Embed the library\" example, against the sandbox"
node -e '
const readme = require("fs").readFileSync(process.argv[1], "utf8");
const section = readme.split("## Embed the library")[1] ?? "";
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
if (code === undefined) { console.error("no ts example under Embed the library"); process.exit(1); }
process.stdout.write(code);' "$ROOT/README.md" >embed.ts
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2023", "lib": ["ES2023"], "module": "nodenext", "moduleResolution": "nodenext",
    "strict": true, "exactOptionalPropertyTypes": true, "noUncheckedIndexedAccess": true,
    "verbatimModuleSyntax": true, "resolveJsonModule": true, "skipLibCheck": true,
    "types": ["node"], "outDir": "out"
  },
  "files": ["embed.ts"]
}
EOF
npx tsc -p tsconfig.json || fail "the README's example does not typecheck"
node out/embed.js >"$WORK/embed.out" 2>"$WORK/embed.err" || { cat "$WORK/embed.err" >&2; fail "the README's example failed"; }
no_node_warning "$WORK/embed.err" "the README's example"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (r.status !== "completed" || r.dryRun !== true || r.counts.usersSeen !== 3) {
  console.error(`unexpected run report: status ${r.status}, dryRun ${r.dryRun}, users ${r.counts.usersSeen}`);
  process.exit(1);
}' "$WORK/embed.out" || fail "the README's example printed an unexpected report"

step "keyrotate plan --json against the sandbox: clean JSON on stdout"
./node_modules/.bin/keyrotate plan --json >"$WORK/plan.json" 2>"$WORK/plan.err" ||
  { cat "$WORK/plan.err" >&2; fail "keyrotate plan --json failed"; }
no_node_warning "$WORK/plan.err" "keyrotate plan --json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (r.dryRun !== true || r.counts.usersSeen !== 3) { console.error("unexpected plan"); process.exit(1); }' \
  "$WORK/plan.json" || fail "keyrotate plan --json did not print the plan alone on stdout"

step "keyrotate demo with the sandbox installed"
./node_modules/.bin/keyrotate demo --days 3 --out "$WORK/demo" >/dev/null 2>"$WORK/demo.err" ||
  { cat "$WORK/demo.err" >&2; fail "keyrotate demo failed"; }

step "a TypeScript consumer, moduleResolution bundler and nodenext (skipLibCheck off)"
for mode in "bundler preserve" "nodenext nodenext"; do
  set -- $mode
  cat >"tsconfig.$1.json" <<EOF
{
  "compilerOptions": {
    "target": "ES2023", "lib": ["ES2023"], "module": "$2", "moduleResolution": "$1",
    "strict": true, "exactOptionalPropertyTypes": true, "verbatimModuleSyntax": true,
    "resolveJsonModule": true, "skipLibCheck": false, "noEmit": true, "types": ["node"]
  },
  "files": ["consumer.ts"]
}
EOF
  npx tsc -p "tsconfig.$1.json" || fail "the TypeScript consumer does not typecheck with moduleResolution $1"
done

for v in 22 24; do
  step "the shipped Lambda bundle on Node $v"
  DRY_RUN=true npx --yes -p "node@$v" -- node lambda-smoke.mjs >"$WORK/lambda.out" 2>"$WORK/lambda.err" ||
    { cat "$WORK/lambda.err" >&2; fail "the Lambda bundle failed on Node $v"; }
  no_node_warning "$WORK/lambda.err" "the Lambda bundle on Node $v"
done
echo "check-packages: ok" >&2
