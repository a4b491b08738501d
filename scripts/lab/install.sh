# Sourced by ./lab after common.sh: installs what the lab needs, each step skipped when already done.
# Needs: common.sh (ROOT, STATE, FEED, JUPYTER_HOME, PYTHON, INTERACTIVE_VERSION, say, die, lock_holder, with_lock,
#   prepare_books); dotnet; apt-get and dpkg-query where packages are installed.
# Provides: ensure_packages, ensure_jupyter, ensure_dotnet_interactive, ensure_feed, ensure_kernelspec,
#   ensure_kustomize, interactive_dll, and setup (all of the lab's installs, in order).

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$p"
  done
}

# The locks apt and dpkg take. Another package manager may hold one: Ubuntu's unattended upgrades after boot, an
# apt-get in another terminal.
APT_LOCKS=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)

# Waits until no other process holds one of apt's locks, at most EDGEAI_DPKG_LOCK_TIMEOUT seconds (default 300),
# saying what it waits for; then apt-get is given the rest of that bound for the moment between check and lock.
wait_for_package_manager() {
  local timeout=${EDGEAI_DPKG_LOCK_TIMEOUT:-300} waited=0 lock holder said=""
  while :; do
    holder=""
    for lock in "${APT_LOCKS[@]}"; do holder=$(lock_holder "$lock") && break; done
    [[ -n $holder ]] || return 0
    if [[ -z $said ]]; then
      say "waiting for the $([[ $lock == /var/lib/dpkg/* ]] && echo dpkg || echo apt) lock held by $holder ($lock), up to $timeout s (EDGEAI_DPKG_LOCK_TIMEOUT)"
      said=1
    fi
    ((waited < timeout)) || die "gave up after $timeout s waiting for the lock $lock, held by $holder; when it is done, run ./lab again"
    sleep 1
    waited=$((waited + 1))
  done
}

# Installs Debian packages that are missing: directly as root; otherwise with sudo, after asking on a terminal. Without
# a terminal to ask on (CI, a script), sudo runs only when EDGEAI_ASSUME_YES=1 says so: nothing runs as root unasked.
ensure_packages() {
  local missing
  missing=$(missing_packages "$@")
  missing=${missing% }   # missing_packages ends each name with a space
  [[ -z $missing ]] && return 0
  command -v apt-get >/dev/null || die "missing packages: $missing (this script installs them on Debian/Ubuntu only)"
  # A fresh machine's package lists may be empty, so the commands given to the user update them first, as below.
  local sudo=() answer by_hand="apt-get update && apt-get install $missing"
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing packages: $missing; install them as root ($by_hand), then run ./lab again"
    if [[ ${EDGEAI_ASSUME_YES:-} == 1 ]]; then
      say "EDGEAI_ASSUME_YES=1: installing $missing with sudo apt-get"
    elif [[ -t 0 ]]; then
      read -r -p "lab: install $missing with sudo apt-get? [y/N] " answer
      [[ $answer == [yY]* ]] || die "not installing; install them yourself: sudo sh -c '$by_hand'"
    else
      die "missing packages: $missing; not running sudo without asking, and there is no terminal to ask on: install them (sudo sh -c '$by_hand') or set EDGEAI_ASSUME_YES=1 to let ./lab run sudo apt-get"
    fi
    sudo=(sudo)
  fi
  wait_for_package_manager
  say "installing $missing"
  local lock=(-o "DPkg::Lock::Timeout=${EDGEAI_DPKG_LOCK_TIMEOUT:-300}")
  # shellcheck disable=SC2086
  "${sudo[@]}" apt-get "${lock[@]}" update -qq \
    && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${lock[@]}" install -y -qq $missing >/dev/null \
    || die "could not install $missing (apt-get's message is above)"
}

# JupyterLab where the distribution has it, else the classic notebook server (Debian 12 has no JupyterLab).
server_packages() {
  if apt-cache show jupyterlab >/dev/null 2>&1; then echo "jupyterlab jupyter-core jupyter-client python3-nbclient python3-nbconvert"
  else echo "jupyter-notebook jupyter-client python3-nbclient python3-nbconvert"; fi
}

# dotnet-interactive as `dotnet tool restore` unpacks it (dotnet-tools.json), and the lab's copy of it compiled ahead
# (scripts/ready-to-run.sh), which the kernelspec runs where it exists.
tool_dll() {
  echo "${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.dotnet-interactive/$INTERACTIVE_VERSION/tools/net10.0/any/Microsoft.DotNet.Interactive.App.dll"
}

interactive_dll() {
  local compiled="$STATE/interactive/$INTERACTIVE_VERSION/Microsoft.DotNet.Interactive.App.dll"
  if [[ -f $compiled ]]; then echo "$compiled"; else tool_dll; fi
}

ensure_dotnet_interactive() {
  [[ -f $STATE/interactive/$INTERACTIVE_VERSION/Microsoft.DotNet.Interactive.App.dll ]] && return 0
  if [[ ! -f $(tool_dll) ]]; then
    say "restoring dotnet-interactive $INTERACTIVE_VERSION (dotnet-tools.json)"
    (cd "$ROOT" && dotnet tool restore >/dev/null)
  fi
  local arch staging
  case $(uname -m) in aarch64) arch=arm64 ;; *) arch=x64 ;; esac
  say "compiling dotnet-interactive ahead of time for quicker kernel starts (once, about a minute on 2 cores)"
  mkdir -p "$STATE/interactive"
  staging=$(mktemp -d "$STATE/interactive/.staging.XXXXXX")
  cp -a "$(dirname "$(tool_dll)")/." "$staging/"
  if "$ROOT/scripts/ready-to-run.sh" "$staging" "$arch" >&2; then
    mv "$staging" "$STATE/interactive/$INTERACTIVE_VERSION"
  else
    rm -rf "$staging"
    say "could not compile it ahead (see above); kernels run the tool as restored and start about a second slower"
  fi
}

# Packs the core and the extension into the local feed when their sources changed (build output excluded). Two
# ./lab commands started together pack once: the second waits for the first's lock (with_lock, common.sh).
ensure_feed() {
  mkdir -p "$STATE"
  with_lock "$STATE/feed.lock" "the lab's feed (another ./lab command is packing it)" pack_feed_if_changed
}

# Each pack's version is the release's with a fourth number of its own, because the kernel's NuGet caches serve a
# re-packed same version stale: minutes since FEED_EPOCH, a date of the project's own that keeps the number small,
# and always above the last pack's (two packs within a minute).
FEED_EPOCH=2026-01-01T00:00:00Z
feed_build_number() {
  local now last=0
  now=$(( ($(date -u +%s) - $(date -u -d "$FEED_EPOCH" +%s)) / 60 ))
  [[ -f $STATE/feed.version ]] && last=$(sed 's/.*\.//' "$STATE/feed.version")
  echo $(( now > last ? now : last + 1 ))
}

pack_feed_if_changed() {
  local hash
  hash=$(cd "$ROOT" && find kernel \( -name bin -o -name obj \) -prune -o \( -name '*.cs' -o -name '*.csproj' \) -print | sort \
         | xargs cat Directory.Build.props Directory.Packages.props | sha256sum | cut -c1-16)
  if [[ -f $STATE/feed.hash && $(cat "$STATE/feed.hash") == "$hash" && -f $STATE/feed.version \
        && -f $FEED/EdgeAi.Interactive.$(cat "$STATE/feed.version").nupkg ]]; then
    return 0
  fi
  local version project
  version="$("$ROOT/scripts/versions.sh" edgeai).$(feed_build_number)"
  say "packing EdgeAi.Core and EdgeAi.Interactive $version into $FEED"
  mkdir -p "$FEED"
  for project in EdgeAi.Core EdgeAi.Interactive; do
    dotnet pack "$ROOT/kernel/$project" -c Release -o "$FEED" -p:PackageVersion="$version" -v quiet -nologo >/dev/null \
      || die "dotnet pack $project failed; run it by hand to see why"
  done
  # The notebooks ask for the release (`#r "nuget: EdgeAi.Interactive, VERSION"`), which NuGet reads as a lowest bound
  # and meets with the lowest build it has, in the feed or already in its package folder. So only this build is
  # kept in either, and dotnet-interactive's restore cache, which remembers what that same request resolved to, is
  # emptied: the next kernel restores this build.
  find "$FEED" -name 'EdgeAi.*.nupkg' ! -name "*.$version.nupkg" -delete
  local packages
  packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')
  [[ -n $packages ]] && find "$packages/edgeai.core" "$packages/edgeai.interactive" -mindepth 1 -maxdepth 1 \
    ! -name "$version" -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$HOME/.packagemanagement/nuget/Cache"
  echo "$version" > "$STATE/feed.version"
  echo "$hash" > "$STATE/feed.hash"
}

# Our kernelspec under .lab/jupyter (found through JUPYTER_PATH), apart from the user's kernels.
ensure_kernelspec() {
  rm -rf "$JUPYTER_HOME/kernels/edgeai-csharp"   # its name before it followed Polyglot's `.net-` rule
  "$ROOT/scripts/kernelspec.sh" "$JUPYTER_HOME/kernels" "$ROOT/kernel/kernelspec/edgeai-kernel" "$FEED" \
    "$(command -v dotnet)" "$(interactive_dll)"
}

# The Jupyter the lab needs: what is already there (any distribution, a dev container, a pip install), else Debian's
# or Ubuntu's packages, installed. Without apt nothing can be installed for the user: the lab names what is missing.
ensure_jupyter() {
  local missing=() server module
  server=$(command -v jupyter-lab || command -v jupyter-notebook || true)
  [[ -n $server ]] || missing+=("a Jupyter server (jupyter-lab or jupyter-notebook on PATH)")
  for module in jupyter_client nbformat nbclient nbconvert; do
    "$PYTHON" -c "import $module" 2>/dev/null || missing+=("the Python module $module (for $PYTHON)")
  done
  local apt=false
  command -v apt-get >/dev/null && command -v dpkg-query >/dev/null && apt=true
  if ((${#missing[@]} == 0)); then
    $apt || say "no apt here: using $server and $PYTHON from PATH"
    return 0
  fi
  if $apt; then
    # shellcheck disable=SC2046
    ensure_packages $(server_packages)
    return
  fi
  die "no apt here, so the lab installs nothing; missing: $(IFS=';'; echo "${missing[*]}" | sed 's/;/; /g').
     Install them with your distribution's packages or pip (e.g. pip install jupyterlab nbconvert nbclient), then run ./lab again."
}

setup() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is required (dotnet not found)"
  ensure_jupyter
  ensure_dotnet_interactive
  ensure_feed
  ensure_kernelspec
  prepare_books
}

# The manifest tests build with `kubectl kustomize`, else `kustomize build`. Debian 12 has neither (its
# kubernetes-client is 1.20); Debian 13's kustomize is one static binary, fetched into .lab/tools with apt's
# own download from the same mirror, without touching the system's sources or packages.
ensure_kustomize() {
  command -v kubectl >/dev/null || command -v kustomize >/dev/null || [[ -x $STATE/tools/kustomize ]] && return 0
  local work="$STATE/tools/apt" mirror
  mirror=$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
           | awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit} /^deb / && $2 ~ /debian\/?$/ {print $2; exit}')
  [[ -n $mirror ]] || die "neither kubectl nor kustomize is installed, and no Debian mirror is configured to fetch kustomize from"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" > "$work/trixie.sources"
  local apt=(-o "Dir::Etc::SourceList=$work/trixie.sources" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
  say "fetching kustomize from Debian 13 into $STATE/tools"
  apt-get "${apt[@]}" update -qq && (cd "$work" && apt-get "${apt[@]}" download kustomize >/dev/null 2>&1) \
    || die "could not fetch Debian 13's kustomize; install kubectl or kustomize"
  dpkg-deb -x "$work"/kustomize_*.deb "$work/root" && cp "$work/root/usr/bin/kustomize" "$STATE/tools/kustomize"
}
