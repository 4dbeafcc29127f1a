#!/usr/bin/env bash
# hack/ci-setup.sh — make this machine able to run jobctl's Docker and browser tests (DESIGN.md §8, §9).
#
#   1. installs Debian's docker.io, busybox-static and chromium (the dashboard tests drive it
#      headless through playwright-core) if missing (apt-get update only when needed)
#   2. starts dockerd in the background if the socket is not answering (log: $DOCKERD_LOG)
#   3. waits for `docker info` (timeout: $DOCKER_WAIT_SECONDS, default 90)
#   4. builds a busybox rootfs and imports it as jobctl/busybox:latest and busybox:latest
#      (no container registry is reachable here, so nothing can be pulled)
#   5. checks that a container runs, plain and under the agent's sandbox options
#
# Idempotent and quick when everything is already there. Needs root for steps 1–2.
# Environment: DOCKER_HOST (default unix:///var/run/docker.sock), DOCKERD_LOG,
# DOCKER_WAIT_SECONDS, DOCKERD_EXTRA_ARGS (extra flags for dockerd, space separated).
set -euo pipefail

readonly IMAGE=jobctl/busybox:latest
readonly ALIAS=busybox:latest
# Bump when the rootfs layout below changes, so existing machines re-import the image.
readonly IMAGE_REV=1
readonly DEFAULT_SOCK=/var/run/docker.sock
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKER_WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-90}
export DEBIAN_FRONTEND=noninteractive

START_NS=$(date +%s%N)
log() {
  local now
  now=$(date +%s%N)
  printf '[ci-setup %6.1fs] %s\n' "$(((now - START_NS) / 1000000))e-3" "$*"
}
die() {
  printf '[ci-setup] ERROR: %s\n' "$*" >&2
  exit 1
}

# One setup at a time on a machine (two engineers / CI steps may call it together).
exec 9>/tmp/jobctl-ci-setup.lock
if ! flock -n 9; then
  log "waiting for another hack/ci-setup.sh (lock /tmp/jobctl-ci-setup.lock)"
  flock -w 600 9 || die "another hack/ci-setup.sh held /tmp/jobctl-ci-setup.lock for 10 minutes"
fi

docker_ok() { docker info >/dev/null 2>&1; }
# A live (not zombie) dockerd process.
dockerd_alive() {
  local pid
  for pid in $(pgrep -x dockerd); do
    [[ $(ps -o stat= -p "$pid" 2>/dev/null) == Z* ]] || return 0
  done
  return 1
}

# --- 1. packages ------------------------------------------------------------------------
apt_install() {
  # Try with the lists already on the machine first; refresh them only if that fails
  # (a missing candidate or a stale list whose files are gone from the mirror).
  if ! apt-get install -y -q --no-install-recommends "$@" >/tmp/jobctl-apt.log 2>&1; then
    log "apt-get install failed with the current lists; running apt-get update"
    apt-get update -q >>/tmp/jobctl-apt.log 2>&1 || {
      tail -n 20 /tmp/jobctl-apt.log >&2
      die "apt-get update failed (log: /tmp/jobctl-apt.log)"
    }
    apt-get install -y -q --no-install-recommends "$@" >>/tmp/jobctl-apt.log 2>&1 || {
      tail -n 30 /tmp/jobctl-apt.log >&2
      die "apt-get install $* failed (log: /tmp/jobctl-apt.log)"
    }
  fi
}

want=()
if ! command -v dockerd >/dev/null 2>&1 && ! docker_ok; then want+=(docker.io); fi
# A static busybox: the image has no libc, so a dynamically linked one would not run.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  want+=(busybox-static)
fi
# Headless Chromium for test/e2e/dashboard.test.ts (CHROMIUM_PATH overrides the path).
if [[ ! -x ${CHROMIUM_PATH:-/usr/bin/chromium} ]]; then want+=(chromium); fi
if ((${#want[@]} > 0)); then
  [[ $(id -u) == 0 ]] || die "need root to install ${want[*]}"
  log "installing ${want[*]} (apt)"
  apt_install "${want[@]}"
  log "installed ${want[*]}"
else
  log "packages present (dockerd, busybox-static, chromium)"
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH after installing docker.io"
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing although busybox-static is installed"
chromium_version=$("${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null) ||
  die "${CHROMIUM_PATH:-/usr/bin/chromium} --version failed after installing chromium"
log "browser: ${chromium_version}"

# --- 2. dockerd ---------------------------------------------------------------------------
if docker_ok; then
  log "docker engine already answering"
else
  if [[ -n ${DOCKER_HOST:-} && ${DOCKER_HOST} != "unix://${DEFAULT_SOCK}" ]]; then
    die "DOCKER_HOST=${DOCKER_HOST} is not answering; not starting a local dockerd for it"
  fi
  [[ $(id -u) == 0 ]] || die "docker is not answering and starting dockerd needs root"
  if dockerd_alive; then
    log "dockerd is running but not answering yet; waiting for it"
  else
    # A stale pid file from a previous (killed) daemon makes dockerd refuse to start.
    rm -f /var/run/docker.pid
    log "starting dockerd${DOCKERD_EXTRA_ARGS:+ $DOCKERD_EXTRA_ARGS} (log: ${DOCKERD_LOG})"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid + nohup: the daemon outlives this script and the shell that ran it.
    # 9>&-: it must not inherit the lock's descriptor, or it would hold the lock forever.
    # shellcheck disable=SC2086 # DOCKERD_EXTRA_ARGS is a list of flags
    setsid nohup dockerd --host "unix://${DEFAULT_SOCK}" ${DOCKERD_EXTRA_ARGS:-} \
      >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    started_pid=$!
  fi
  deadline=$(($(date +%s) + DOCKER_WAIT_SECONDS))
  until docker_ok; do
    if (($(date +%s) >= deadline)); then
      echo "---- last lines of ${DOCKERD_LOG} ----" >&2
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "docker engine did not answer within ${DOCKER_WAIT_SECONDS}s"
    fi
    # Until setsid/nohup have exec'd dockerd, pgrep cannot see it by name: the pid we
    # started counts as alive too (checking only by name failed a start that went on fine).
    if ! dockerd_alive && ! { [[ -n ${started_pid:-} ]] && kill -0 "$started_pid" 2>/dev/null; }; then
      echo "---- last lines of ${DOCKERD_LOG} ----" >&2
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited during start-up"
    fi
    sleep 0.5
  done
  log "docker engine up ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
fi

# --- 3. busybox image --------------------------------------------------------------------
image_rev() { docker image inspect -f '{{index .Config.Labels "dev.jobctl.busybox-rev"}}' "$1" 2>/dev/null || true; }
if [[ $(image_rev "$IMAGE") == "$IMAGE_REV" && $(image_rev "$ALIAS") == "$IMAGE_REV" ]]; then
  log "images ${IMAGE} and ${ALIAS} present"
else
  log "building busybox rootfs from $(dpkg-query -W -f='busybox-static ${Version}' busybox-static)"
  rootfs=$(mktemp -d /tmp/jobctl-busybox-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,proc,sys,dev,run,var/tmp,tmp}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  chmod 700 "$rootfs/root"
  cp "$BUSYBOX" "$rootfs/bin/busybox"
  # One symlink per applet at its usual place (bin/sh, usr/bin/env, sbin/ip, ...).
  # As root, busybox makes them itself inside the rootfs in one go; otherwise one `ln`
  # per applet (~270 of them: seconds on a loaded machine).
  if [[ $(id -u) == 0 ]] && chroot "$rootfs" /bin/busybox --install -s 2>/dev/null; then
    :
  else
    while read -r applet; do
      [[ $applet == */* && $applet != bin/busybox && ! -e $rootfs/$applet ]] || continue
      [[ -d $rootfs/${applet%/*} ]] || mkdir -p "$rootfs/${applet%/*}"
      ln -s /bin/busybox "$rootfs/$applet"
    done < <("$BUSYBOX" --list-full)
  fi
  [[ -e $rootfs/bin/sh ]] || ln -s /bin/busybox "$rootfs/bin/sh"
  cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
  echo 'hosts: files dns' >"$rootfs/etc/nsswitch.conf"
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["sh"]' \
      --change "LABEL dev.jobctl.busybox-rev=${IMAGE_REV}" \
      --message "jobctl busybox from Debian busybox-static (hack/ci-setup.sh)" \
      - "$IMAGE" >/dev/null
  docker tag "$IMAGE" "$ALIAS"
  rm -rf "$rootfs"
  trap - EXIT
  log "imported ${IMAGE} and ${ALIAS}"
fi

# --- 4. smoke checks ---------------------------------------------------------------------
# Plain, and under the agent's sandbox (DESIGN.md §8); both at once (each takes ~1–2 s).
sandbox=(--network none --read-only --tmpfs /tmp --cap-drop ALL
  --security-opt no-new-privileges --user 65534:65534 --pids-limit 256 --memory 256m)
plain_out=$(mktemp) sandbox_out=$(mktemp)
docker run --rm --network none "$IMAGE" echo ok >"$plain_out" 2>&1 &
plain_pid=$!
docker run --rm "${sandbox[@]}" "$IMAGE" sh -c 'id -u; echo x >/tmp/x && cat /tmp/x' \
  >"$sandbox_out" 2>&1 &
sandbox_pid=$!
plain_rc=0 sandbox_rc=0
wait "$plain_pid" || plain_rc=$?
wait "$sandbox_pid" || sandbox_rc=$?
out=$(<"$plain_out") sout=$(<"$sandbox_out")
rm -f "$plain_out" "$sandbox_out"
((plain_rc == 0)) || die "docker run --network none ${IMAGE} echo ok failed (exit ${plain_rc}): ${out}"
[[ $out == ok ]] || die "docker run ${IMAGE} echo ok printed: ${out}"
((sandbox_rc == 0)) ||
  die "sandboxed docker run (${sandbox[*]}) failed (exit ${sandbox_rc}): ${sout}"
# (The engine may warn on stderr, e.g. about swap limits; look only for our lines.)
if ! grep -qx 65534 <<<"$sout" || ! grep -qx x <<<"$sout"; then
  die "sandboxed docker run (${sandbox[*]}) printed unexpected output: ${sout}"
fi
log "docker run checks passed (plain and sandboxed)"
