#!/bin/sh
# PID 1's child (tini is PID 1): prepares the writable home, then starts JupyterLab on the shared volume (it
# refuses an empty token), or a JupyterHub user's server (the command `jupyterhub-singleuser`, the Zero to
# JupyterHub chart's default), or runs the command it was given, e.g. `docker run IMAGE edgeai list` or nbconvert.
set -eu
books=/books
hub=
if [ "${1:-}" = jupyterhub-singleuser ]; then hub=1; shift; fi

# $HOME may be an empty volume (read-only root filesystem in Kubernetes): make what the lab writes there.
mkdir -p "$HOME/.nuget/NuGet" "$HOME/.local/share/jupyter/runtime"
# Offline: only the image's feed; dependencies come from the image's package folder (NUGET_PACKAGES). Written where
# the home has none, so a persistent home (a hub user's, a dev container's) keeps the sources its user added.
[ -e "$HOME/.nuget/NuGet/NuGet.Config" ] || cat > "$HOME/.nuget/NuGet/NuGet.Config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="edgeai" value="/opt/edgeai/feed" />
  </packageSources>
</configuration>
CONFIG
# dotnet-interactive's restore cache for the release's `#r`, made at build (docker/warm-restore-cache.py): the first
# #r in a new pod then takes 1.8 s, not 3.4 s. Never over what this home's kernels cached themselves.
if [ -d /opt/edgeai/restore-cache ]; then
  mkdir -p "$HOME/.packagemanagement/nuget/Cache"
  cp --update=none /opt/edgeai/restore-cache/* "$HOME/.packagemanagement/nuget/Cache/"
fi

# The charts' plotly.js, published at build (root's, read-only): the servers serve it without a login, so no folder
# a user can write is served that way. Where the build could not make it, scripts/jupyter-server's default in $HOME.
if [ -f /opt/edgeai/static/edgeai/plotly.min.js ]; then export EDGEAI_STATIC_DIR=/opt/edgeai/static; fi

# A hub's user server: the user's notebooks in their own home (a volume per user), the models on the shared
# store, the hub's login instead of a token. Trust stays in the home's Jupyter data folder: each user's own.
if [ -n "$hub" ]; then
  if [ -z "${JUPYTERHUB_API_TOKEN:-}" ]; then
    echo "edgeai-lab: jupyterhub-singleuser runs under a JupyterHub, which sets JUPYTERHUB_API_TOKEN; it is not set." >&2
    echo "  Without a hub: docker run -e JUPYTER_TOKEN=\"\$(openssl rand -hex 24)\" IMAGE   (see k8s/jupyterhub for the hub)" >&2
    exit 64
  fi
  if ! mkdir -p "$HOME/notebooks" 2> /dev/null || [ ! -w "$HOME/notebooks" ]; then
    echo "edgeai-lab: the home folder $HOME is not writable by uid $(id -u): give the user's volume fsGid 1000 (singleuser.fsGid)" >&2
    exit 65
  fi
  if ! mkdir -p "$EDGEAI_WEIGHTS_DIR" 2> /dev/null || [ ! -w "$EDGEAI_WEIGHTS_DIR" ]; then
    echo "edgeai-lab: the shared store $EDGEAI_WEIGHTS_DIR is not writable by uid $(id -u). Mount the class's volume at $books" >&2
    echo "  (k8s/jupyterhub/values.yaml: singleuser.storage.extraVolumes, the claim edgeai-books exported writable by gid 1000)" >&2
    exit 65
  fi
  /opt/edgeai/bin/seed-notebooks /opt/edgeai/notebooks "$HOME/notebooks" "$(cat /opt/edgeai/VERSION)"
  exec /opt/edgeai/bin/jupyter-server --hub "$HOME" "$@"
fi

[ "$#" -gt 0 ] && exec "$@"

if [ -z "${JUPYTER_TOKEN:-}" ]; then
  echo "edgeai-lab: JUPYTER_TOKEN is empty. Refusing to serve notebooks without authentication:" >&2
  echo "  docker run -e JUPYTER_TOKEN=\"\$(openssl rand -hex 24)\" ...   (Kubernetes: the Secret edgeai-lab-token)" >&2
  exit 64
fi

# As in the report, Jupyter serves the shared volume: students' notebooks in /books/notebooks, beside the weight
# store in /books/models, so an edit saved through one replica is there through the others and after a restart.
if ! mkdir -p "$books/notebooks" "$EDGEAI_WEIGHTS_DIR" 2> /dev/null || [ ! -w "$books/notebooks" ]; then
  echo "edgeai-lab: $books is not writable by uid $(id -u). Mount a volume there that this user can write:" >&2
  echo "  docker run -v edgeai-books:$books ...   (Kubernetes: the claim edgeai-books, exported writable by gid 1000)" >&2
  exit 65
fi
/opt/edgeai/bin/seed-notebooks /opt/edgeai/notebooks "$books/notebooks" "$(cat /opt/edgeai/VERSION)"
for old in "$books"/*/latest; do
  if [ -e "$old" ] && [ "$(dirname "$(dirname "$old")")" != "$EDGEAI_WEIGHTS_DIR" ]; then
    echo "edgeai-lab: $(dirname "$old") is a model of an earlier layout; the store is now $EDGEAI_WEIGHTS_DIR: move it there" >&2
  fi
done

# JUPYTER_PORT: for hosts where the container shares the host's network (podman --network host).
exec /opt/edgeai/bin/jupyter-server "$books" 0.0.0.0 "${JUPYTER_PORT:-8888}"
