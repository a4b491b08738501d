# Sourced by ./lab: `./lab up --replicas N`, the cluster topology on one machine. N Jupyter servers, each a "node"
# of its own, one shared store, and nginx in front with docker/nginx.conf (the Ingress' semantics: cookie affinity,
# WebSockets, hour-long timeouts, failover to a live replica). The same stand-in the cluster tests use.
# Needs: common.sh (ROOT, STATE, FEED, EDGEAI_BOOKS, EDGEAI_WEIGHTS_DIR, say, die), install.sh (ensure_packages);
#   ip (iproute2) for network namespaces as root.
# Provides: ensure_nginx, up_replicas.

ensure_nginx() {
  command -v nginx >/dev/null && return 0
  # Install the binary only: the package would otherwise start a system-wide nginx on port 80.
  if [[ $(id -u) -eq 0 && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    ensure_packages nginx-light || { rm -f /usr/sbin/policy-rc.d; return 1; }
    rm -f /usr/sbin/policy-rc.d
  else
    ensure_packages nginx-light
  fi
}

# docker/nginx.conf inside a main configuration of our own, with the two files it includes written for these
# replicas and this address (edgeai/, beside the main configuration: nginx resolves includes from its folder).
write_proxy_config() {
  local dir=$1 port=$2 replicas=$3 listen=$4 prefix=$5 t i
  mkdir -p "$dir/nginx/edgeai"
  for ((i = 1; i <= replicas; i++)); do echo "server $prefix.$i:$port max_fails=1 fail_timeout=10s;"; done > "$dir/nginx/edgeai/replicas.conf"
  echo "listen $listen:$port;" > "$dir/nginx/edgeai/listen.conf"
  {
    echo "pid $dir/nginx/nginx.pid;"
    echo "error_log $dir/nginx/error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http {"
    echo "access_log off;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "${t}_temp_path $dir/nginx/$t;"; done
    echo "include $ROOT/docker/nginx.conf;"
    echo "}"
  } > "$dir/nginx/nginx.conf"
}

# Network namespaces when root: each replica is a "node" with its own network stack (10.200.S.N), nginx
# another one (10.200.S.254), joined by a bridge; this machine reaches them through a veth (10.200.S.253).
# S comes from the port, so two stand-ins on different ports do not collide. Without root: loopback
# addresses 127.0.1.N, with nginx on 127.0.0.1.
netns_up() {
  local port=$1 replicas=$2 subnet=$(( $1 % 250 )) i
  NS_PREFIX="edgeai$port"
  netns_down
  ip netns add "$NS_PREFIX-px"
  ip -n "$NS_PREFIX-px" link set lo up
  ip -n "$NS_PREFIX-px" link add br0 type bridge
  ip -n "$NS_PREFIX-px" addr add "10.200.$subnet.254/24" dev br0
  ip -n "$NS_PREFIX-px" link set br0 up
  ip link add "e${port}h" type veth peer name "e${port}hp"
  ip link set "e${port}hp" netns "$NS_PREFIX-px"
  ip -n "$NS_PREFIX-px" link set "e${port}hp" master br0 up
  ip addr add "10.200.$subnet.253/24" dev "e${port}h"
  ip link set "e${port}h" up
  for ((i = 1; i <= replicas; i++)); do
    ip netns add "$NS_PREFIX-r$i"
    ip -n "$NS_PREFIX-r$i" link set lo up
    ip link add "e${port}r$i" type veth peer name "e${port}p$i"
    ip link set "e${port}r$i" netns "$NS_PREFIX-r$i"
    ip link set "e${port}p$i" netns "$NS_PREFIX-px"
    ip -n "$NS_PREFIX-px" link set "e${port}p$i" master br0 up
    ip -n "$NS_PREFIX-r$i" addr add "10.200.$subnet.$i/24" dev "e${port}r$i"
    ip -n "$NS_PREFIX-r$i" link set "e${port}r$i" up
  done
}

netns_down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk -v p="$NS_PREFIX-" 'index($1, p) == 1 {print $1}'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
    ip netns del "$ns"
  done
  ip link del "e${NS_PREFIX#edgeai}h" 2>/dev/null || true
}

up_replicas() {
  local port=$1 replicas=$2 token=$3 dir="$STATE/replicas" i pids=() proxy_ip prefix netns=false extra=()
  ensure_nginx
  rm -rf "$dir" && mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null; then
    extra=(--allow-root)
    netns_up "$port" "$replicas"
    netns=true
    # Like pods without internet: NuGet restores from the local feed and the machine's package folder only.
    export RestoreSources="$FEED"
    prefix="10.200.$(( port % 250 ))"
    proxy_ip="$prefix.254"
  else
    prefix=127.0.1
    proxy_ip=127.0.0.1
  fi
  # Started as simple commands, so that $! is the server itself (ip netns exec and jupyter-server exec it).
  in_ns() { $netns && echo ip netns exec "$NS_PREFIX-$1"; }
  for ((i = 1; i <= replicas; i++)); do
    mkdir -p "$dir/$i"
    # Each replica is a "pod" of its own: its own runtime files and the names the manifests record.
    JUPYTER_TOKEN=$token JUPYTER_RUNTIME_DIR="$dir/$i" POD_NAME="edgeai-lab-$i" NODE_NAME="replica-$i" \
      $(in_ns "r$i") "$ROOT/scripts/jupyter-server" "$EDGEAI_BOOKS" "$prefix.$i" "$port" "${extra[@]}" > "$dir/$i/server.log" 2>&1 &
    pids+=($!)
    echo $! > "$dir/$i/pid"
  done
  write_proxy_config "$dir" "$port" "$replicas" "$proxy_ip" "$prefix"
  $(in_ns px) nginx -c "$dir/nginx/nginx.conf" -g 'daemon off;' &
  pids+=($!)
  say "$replicas replicas behind nginx ($($netns && echo "network namespaces $NS_PREFIX-*" || echo "loopback addresses")); volume $EDGEAI_BOOKS (store $EDGEAI_WEIGHTS_DIR); logs in $dir"
  say "open http://$proxy_ip:$port/?token=$token   (Ctrl-C stops everything)"
  # A client that is not a browser may drop nginx's affinity cookie (docs/vscode.md): it can use one replica directly.
  for ((i = 1; i <= replicas; i++)); do say "  replica $i directly: http://$prefix.$i:$port/?token=$token"; done
  trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait 2>/dev/null; $netns && netns_down; exit 0' INT TERM
  wait
}
