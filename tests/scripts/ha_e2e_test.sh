#!/usr/bin/env bash
# Two masters on PostgreSQL in containers (tests/docker-compose.ha.yml): both ready, one leader, IDs
# shared, nodes reporting through both; then the leader's container is killed (SIGKILL) under reporting
# load and the survivor must take over within SCHEDULER_INTERVAL_SECONDS + LEADER_LEASE_SECONDS (+ slack),
# with no node offline and its own nodes.json listing the fleet. Removes everything it made at the end.
# SKIP_BUILD=1 reuses argus-master:dev; the PostgreSQL image is built from tests/postgres/Dockerfile.
source "$(dirname "$0")/common.sh"
PROJECT=argus-master-ha
HA_FILE=$TESTS_DIR/docker-compose.ha.yml
PRIVATE=$TESTS_DIR/private-ha
export ARGUS_HA_PORT_A=${ARGUS_HA_PORT_A:-31301} ARGUS_HA_PORT_B=${ARGUS_HA_PORT_B:-31302}
A=http://127.0.0.1:$ARGUS_HA_PORT_A
B=http://127.0.0.1:$ARGUS_HA_PORT_B
LEASE=3 INTERVAL=1
ha() {
  if docker compose version >/dev/null 2>&1; then docker compose -p "$PROJECT" -f "$HA_FILE" "$@"; else docker-compose -p "$PROJECT" -f "$HA_FILE" "$@"; fi
}
# A JSON field of a body on stdin: json 'expression over j'
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);const v=eval(process.argv[1]);process.stdout.write(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }
cleanup() {
  [ -n "${reporter:-}" ] && kill "$reporter" 2>/dev/null || true
  ha down --remove-orphans --volumes >/dev/null 2>&1 || true
  rm -rf "$PRIVATE"
}
trap cleanup EXIT
fail() { log "FAILED: $*"; ha logs --tail 60 || true; exit 1; }
wait_url() { # url seconds
  local deadline=$((SECONDS + $2))
  until curl -sf "$1" >/dev/null 2>&1; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.5; done
}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building argus-master:dev"
  "$ROOT_DIR/scripts/build_images.sh" --tag "${ARGUS_MASTER_IMAGE:-argus-master:dev}"
fi
log "building argus-postgres:dev from Debian's postgresql package"
(cd "$ROOT_DIR" && docker build -q -f tests/postgres/Dockerfile -t "${ARGUS_POSTGRES_IMAGE:-argus-postgres:dev}" . >/dev/null)
cleanup
mkdir -p "$PRIVATE"/master-{a,b}/{master,metric/prometheus,etc}
log "starting PostgreSQL and two masters"
ha up -d
wait_url "$A/readyz" 120 || fail "master-a not ready"
wait_url "$B/readyz" 60 || fail "master-b not ready"
leader=$(curl -sf "$A/api/v1/master/cluster" | json 'j.leader && j.leader.live ? j.leader.instance : ""')
[ -n "$leader" ] || fail "no leader"
[ "$(curl -sf "$B/api/v1/master/cluster" | json 'j.leader.instance')" = "$leader" ] || fail "the masters disagree on the leader"
curl -sf "$B/api/v1/master/cluster" | json 'j.masters.length === 2' | grep -q true || fail "GET /cluster does not list both masters"
[ "$(curl -sf "$B/readyz")" = '{"status":"ready"}' ] || fail "/readyz is not exactly {\"status\":\"ready\"} (SPEC §2)"
log "leader: $leader"

ids=()
for i in 1 2 3 4 5 6; do
  base=$A; [ $((i % 2)) = 0 ] && base=$B
  body=$(curl -sf -X POST "$base/api/v1/master/nodes" -H 'Content-Type: application/json' \
    -d "{\"name\":\"ha-node-$i\",\"type\":\"agent\",\"version\":\"1.1.0\",\"meta_data\":{\"hostname\":\"ha-node-$i\",\"ip\":\"10.0.0.$i\",\"env\":\"dev\",\"user\":\"ha\",\"instance\":\"ha\",\"cpu_number\":4,\"memory_in_bytes\":2147483648,\"gpu_number\":0}}") || fail "registration $i"
  ids+=("$(printf '%s' "$body" | json 'j.id')")
done
[ "${ids[*]}" = "A1 A2 A3 A4 A5 A6" ] || fail "IDs across the masters: ${ids[*]}"

# Every node reports through both masters every second (bounded: at most 10 minutes).
(
  for _ in $(seq 1 600); do
    for id in "${ids[@]}"; do
      for base in "$A" "$B"; do
        curl -s -m 5 -o /dev/null -X PUT "$base/api/v1/master/nodes/$id/status" -H 'Content-Type: application/json' \
          -d "{\"timestamp\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"health\":{}}" &
      done
    done
    wait
    sleep 1
  done
) &
reporter=$!
deadline=$((SECONDS + 20))
until [ "$(curl -sf "$B/api/v1/master/nodes/statistics" | json '(j.status_statistics.find(s => s.status === "online") || {count: 0}).count')" = 6 ]; do
  [ $SECONDS -ge $deadline ] && fail "the nodes did not come online"
  sleep 0.5
done
last=$(curl -sf "$B/api/v1/master/events?limit=1000" | json 'j.at(-1).id')
log "all 6 nodes online; killing the leader's container ($leader)"

if [ "$leader" = master-a ]; then survivor=$B; survivor_name=master-b; else survivor=$A; survivor_name=master-a; fi
t0=$(date +%s%N)
docker kill "argus-ha-$leader" >/dev/null
deadline=$((SECONDS + 30))
until [ "$(curl -s -m 2 "$survivor/api/v1/master/cluster" | json 'j.role' 2>/dev/null)" = leader ]; do
  [ $SECONDS -ge $deadline ] && fail "$survivor_name did not take over"
  sleep 0.1
done
takeover_ms=$((($(date +%s%N) - t0) / 1000000))
log "$survivor_name leads after ${takeover_ms} ms (bound: interval ${INTERVAL} s + lease ${LEASE} s + 2 s)"
[ "$takeover_ms" -le $(((INTERVAL + LEASE + 2) * 1000)) ] || fail "takeover took ${takeover_ms} ms"

# The new leader publishes nodes.json whole, listing every node; nobody goes offline.
deadline=$((SECONDS + 10))
until [ "$({ json 'j.length' < "$PRIVATE/$survivor_name/metric/prometheus/nodes.json"; } 2>/dev/null)" = 6 ]; do
  [ $SECONDS -ge $deadline ] && fail "the new leader's nodes.json does not list the 6 nodes"
  sleep 0.5
done
sleep 10 # past the offline threshold (8 s): a node falsely offline would show now
offline=$(curl -sf "$survivor/api/v1/master/events?after=$last&type=node.status&limit=1000" | json 'j.filter(e => e.to === "offline").length')
[ "$offline" = 0 ] || fail "$offline nodes went offline across the failover"
curl -sf "$survivor/readyz" | json "j.warnings && j.warnings.some(w => w.includes('master $leader: no contact'))" | grep -q true || fail "/readyz of the survivor does not warn of the dead master"
log "HA end-to-end passed: takeover ${takeover_ms} ms, no node offline, nodes.json by the new leader"
