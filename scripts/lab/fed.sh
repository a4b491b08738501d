# Sourced by ./lab: `./lab fed`, a federation on this machine as on a cluster: the aggregator and one worker process per
# node, sharing nothing but the store's folder. As root each worker runs in a network namespace of its own with no
# interface up, so nothing but the store's files can carry anything between them (the weights, never the data).
# Needs: common.sh (ROOT, STATE, say, die, usage_error). Provides: cmd_fed.

FED_NS_PREFIX=edgeai-fed

cmd_fed() {
  local nodes=4 name="" data="${EDGEAI_DATA_DIR:-}" store="${EDGEAI_WEIGHTS_DIR:-$EDGEAI_BOOKS/models}" args=("$@") i given_store=false
  while (($#)); do
    case $1 in
      --nodes=*|--name=*|--data=*|--store=*) usage_error "write $1 as '${1%%=*} ${1#*=}' (./lab fed --help)" ;;
      --nodes|--name|--data|--store)
        (($# >= 2)) || usage_error "$1 needs a value (./lab fed --help)"
        case $1 in --nodes) nodes=$2 ;; --name) name=$2 ;; --data) data=$2 ;; --store) store=$2; given_store=true ;; esac
        shift 2 ;;
      *) shift ;;   # the aggregator's own options: it names a bad one
    esac
  done
  [[ $nodes =~ ^[0-9]+$ && $nodes -ge 1 && $nodes -le 64 ]] || usage_error "--nodes $nodes is outside 1-64 (one process each on this machine)"
  say "building the edgeai command line"
  dotnet build "$ROOT/kernel/EdgeAi.Cli" -c Release -v quiet -nologo >/dev/null || {
    dotnet build "$ROOT/kernel/EdgeAi.Cli" -c Release -v quiet -nologo | grep -E 'error' | head -20; die "the edgeai command line did not build"; }
  local cli dir="$STATE/fed" namespaces=false pids=() aggregator
  cli="$ROOT/kernel/EdgeAi.Cli/bin/Release/net10.0/linux-$(dotnet --info | sed -n 's/ *RID: *linux-//p')/edgeai"
  mkdir -p "$dir" "$store"
  local common=(--store "$store")
  [[ -n $name ]] && common+=(--name "$name")
  [[ -n $data ]] && common+=(--data "$data")
  if [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null; then namespaces=true; fi

  # The aggregator first: it reads (or downloads) the data and publishes round 0; the workers, offline in their
  # namespaces, then find the data where it left it.
  : >"$dir/aggregator.log"   # an earlier run's lines must not start this run's workers
  local store_option=(--store "$store")
  $given_store && store_option=()   # already among the aggregator's options
  "$cli" fed aggregate "${args[@]}" "${store_option[@]}" > >(tee "$dir/aggregator.log") 2>&1 &
  aggregator=$!
  trap 'kill -TERM "$aggregator" "${pids[@]}" 2>/dev/null; wait 2>/dev/null; fed_netns_down; exit 130' INT TERM
  local waited=0
  until grep -q "round 0's global model\|resuming federation" "$dir/aggregator.log" 2>/dev/null; do
    kill -0 "$aggregator" 2>/dev/null || { wait "$aggregator" || true; die "the aggregator exited before round 0 (its output is above, and in $dir/aggregator.log)"; }
    ((waited++ < 600)) || { kill -TERM "$aggregator" 2>/dev/null; die "the aggregator did not publish round 0 within 10 minutes (still reading or downloading the data?)"; }
    sleep 1
  done
  fed_netns_down
  for ((i = 0; i < nodes; i++)); do
    local run=()
    if $namespaces; then
      ip netns add "$FED_NS_PREFIX-$i"
      run=(ip netns exec "$FED_NS_PREFIX-$i")
    fi
    "${run[@]}" "$cli" fed worker --node "$i" "${common[@]}" > >(sed -u "s/^/[node $i] /" | tee "$dir/worker-$i.log") 2>&1 &
    pids+=($!)
  done
  say "$nodes workers started ($($namespaces && echo "each in network namespace $FED_NS_PREFIX-N, no interface up" || echo "without network namespaces: they need root")); they share only $store; logs in $dir"
  local status=0
  wait "$aggregator" || status=$?
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || { say "worker $i exited with an error (see $dir/worker-$i.log)"; status=1; }; done
  fed_netns_down
  trap - INT TERM
  return $status
}

fed_netns_down() {
  command -v ip >/dev/null && [[ $(id -u) -eq 0 ]] || return 0
  local ns
  for ns in $(ip netns list 2>/dev/null | awk -v p="$FED_NS_PREFIX-" 'index($1, p) == 1 {print $1}'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
    ip netns del "$ns"
  done
}
