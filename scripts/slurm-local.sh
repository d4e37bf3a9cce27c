#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the `host sweep` Slurm tests (issue #24).
#
#   scripts/slurm-local.sh up       install slurm-wlm and munge if missing, start the cluster
#   scripts/slurm-local.sh down     stop everything `up` started
#   scripts/slurm-local.sh status   print sinfo; exit 0 when up, 1 when down
#
# then, in the shell that submits:   export SLURM_CONF=<state folder>/slurm.conf
# (`up` prints that line last). sbatch, squeue, scancel, scontrol and sinfo work with it.
#
# Everything lives in one state folder, ${SLURM_LOCAL_DIR:-${TMPDIR:-/tmp}/host-slurm}:
#   slurm.conf          generated on every `up` (this machine's `hostname -s`, nproc, memory)
#   munge/              a private munge key, socket, pid, seed and log: a munged of our own,
#                       independent of any system-wide one (/run/munge is left alone)
#   ctld/  spool/       slurmctld's state (job ids go on across down/up) and slurmd's spool
#   log/                slurmctld.log, slurmd.log, munged.log, jobcomp.txt
#   run/                pid files of the three daemons
# `down` stops the daemons and leaves the folder (logs, state); delete it to start afresh.
#
# Job states: squeue and `scontrol show job` (finished jobs stay listed for MinJobAge, 10
# minutes: `squeue -t all`). There is no slurmdbd, so plain `sacct` does not work ("Slurm
# accounting storage is disabled"). Finished jobs are appended by jobcomp/filetxt to
# log/jobcomp.txt (one line per job or array task: JobId=, JobState=, ExitCode=,
# ArrayJobId=, ArrayTaskId=, ...), which `sacct -c` (--completion) reads, but it shows the
# tasks' own job ids (7, not 4_2), a cancelled task's exit code as 0:0, and complains on
# stderr about the Array* fields: read the file itself, or squeue, rather than sacct.
# An array task cancelled while still pending leaves no record anywhere (it is dropped from
# the array's pending range); one cancelled while running shows CANCELLED (ExitCode 0:15).
# Logs also carry harmless noise: mpi/pmix "can not load PMIx library" errors, and munged
# "Unauthorized credential for client UID=0" notices.
#
# The daemons run as root (SlurmUser=SlurmdUser=root) without cgroups (proctrack/linuxproc,
# task/none), so this needs root but neither systemd nor a cgroup hierarchy. Nodes are
# consumable by CPU (select/cons_tres, CR_CPU): N one-CPU tasks run at once on N CPUs.
# Ports: SLURM_LOCAL_PORT (slurmctld, default 6817) and that + 1 (slurmd).
set -euo pipefail

DIR=${SLURM_LOCAL_DIR:-${TMPDIR:-/tmp}/host-slurm}
CONF=$DIR/slurm.conf
CTLD_PORT=${SLURM_LOCAL_PORT:-6817}
SLURMD_PORT=$((CTLD_PORT + 1))
NODE=$(hostname -s)
MUNGE_SOCKET=$DIR/munge/munge.socket.2

usage() {
    echo "usage: $0 up|down|status" >&2
    echo "  state folder: \${SLURM_LOCAL_DIR:-\${TMPDIR:-/tmp}/host-slurm} (now $DIR)" >&2
    exit 2
}

say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: $*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (the daemons run as root; try: sudo $0 $1)"
}

# The pid in run/NAME.pid if that process is alive and is NAME (not a reused pid), else
# nothing and a non-zero status. Reads /proc, so it works for users other than root too.
live_pid() { # name
    local pid comm
    [ -s "$DIR/run/$1.pid" ] || return 1
    pid=$(cat "$DIR/run/$1.pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = "$1" ] && echo "$pid"
}

# Whether the controller answers and lists our node.
answering() {
    [ -f "$CONF" ] && SLURM_CONF=$CONF timeout 10 sinfo -h -N -n "$NODE" -o '%T' >/dev/null 2>&1
}

# SlurmdStartTime of our node as epoch seconds (0 when unknown).
slurmd_start_time() {
    local t
    t=$(SLURM_CONF=$CONF timeout 10 scontrol show node "$NODE" 2>/dev/null \
        | sed -n 's/.*SlurmdStartTime=\([0-9T:-]*\).*/\1/p' | head -1)
    { [ -n "$t" ] && date -d "$t" +%s 2>/dev/null; } || echo 0
}

node_state() { SLURM_CONF=$CONF timeout 10 sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -1; }

is_up() {
    live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null \
        && live_pid munged >/dev/null && answering
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
        || missing+=(slurm-wlm)
    command -v munged >/dev/null || missing+=(munge)
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    say "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    # The package lists are refreshed only when the first attempt fails (stale or absent lists).
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
        || die "apt-get install ${missing[*]} failed"
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        die "installed ${missing[*]} but slurmctld or munged is still missing"
    fi
}

start_munge() {
    if live_pid munged >/dev/null; then return 0; fi
    mkdir -p "$DIR/munge"
    chmod 755 "$DIR/munge"   # clients of every user reach the socket; the key stays 0400
    if [ ! -s "$DIR/munge/munge.key" ]; then
        if command -v mungekey >/dev/null; then
            mungekey --create --keyfile="$DIR/munge/munge.key" >/dev/null 2>&1
        else
            dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
        fi
    fi
    chmod 400 "$DIR/munge/munge.key"
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    # As root (the packaged munged would run as user munge): it checks that its key and folders
    # belong to the user it runs as, and ours do. --force turns its refusals over loose
    # permissions (a TMPDIR writable by others without the sticky bit) or a stale socket
    # into warnings.
    munged --force --socket="$MUNGE_SOCKET" --key-file="$DIR/munge/munge.key" \
        --pid-file="$DIR/run/munged.pid" --seed-file="$DIR/munge/munged.seed" \
        --log-file="$DIR/log/munged.log" </dev/null >>"$DIR/log/munged.log" 2>&1 \
        || fail_up "munged did not start"
    for _ in $(seq 50); do
        [ -S "$MUNGE_SOCKET" ] && live_pid munged >/dev/null && return 0
        sleep 0.1
    done
    fail_up "munged did not come up"
}

write_conf() {
    local cpus mem_mb
    cpus=$(nproc --all)
    # slurmd drains a node whose RealMemory exceeds what it finds: leave a 5% margin (min 256 MB).
    mem_mb=$(awk '/^MemTotal:/ { m = int($2 / 1024); margin = int(m / 20); if (margin < 256) margin = 256;
                                 print (m > margin + 256 ? m - margin : 256) }' /proc/meminfo)
    cat >"$CONF.new" <<EOF
# Generated by scripts/slurm-local.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); rewritten on every \`up\`.
ClusterName=hostlocal
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups, no systemd: processes are tracked through /proc, tasks are not bound.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
# CPUs are the consumable resource, so several one-CPU array tasks share the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,batch_sched_delay=0
# No slurmdbd: no accounting storage; finished jobs go to a text file that \`sacct -c\` reads.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
# Come up and react fast; keep finished jobs visible in squeue/scontrol for 10 minutes.
ReturnToService=2
SlurmctldTimeout=10
SlurmdTimeout=10
MessageTimeout=10
InactiveLimit=0
KillWait=5
Waittime=0
MinJobAge=600
MaxArraySize=10001
# Refuse at submission what this node can never run (e.g. more CPUs than it has), not pend forever.
EnforcePartLimits=ALL
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.new" "$CONF"
}

# Starts NAME unless it runs; STARTED gets NAME's start time (epoch seconds) when it starts now.
start_daemon() { # name
    local name=$1
    STARTED=
    if live_pid "$name" >/dev/null; then return 0; fi
    STARTED=$(date +%s)
    rm -f "$DIR/run/$name.pid"
    # Daemons fork away; their descriptors go to the log, so a caller's pipes are not held open.
    SLURM_CONF=$CONF setsid "$name" -f "$CONF" </dev/null >>"$DIR/log/$name.out" 2>&1 \
        || fail_up "$name did not start"
}

show_logs() {
    local f
    for f in slurmctld.log slurmd.log munged.log slurmctld.out slurmd.out; do
        if [ -s "$DIR/log/$f" ]; then echo "--- $DIR/log/$f (tail)"; tail -n 15 "$DIR/log/$f" || true; fi
    done >&2
}

# A failed `up` prints the logs' tails and stops what it started: nothing is left running.
fail_up() {
    show_logs
    cmd_down >/dev/null 2>&1 || true
    die "$*; see $DIR/log (the daemons were stopped)"
}

# Closes every descriptor this shell inherited beyond stdin, stdout and stderr (and bash's own
# 255): a caller that runs this script with pipes (a test's Process) may pass their other ends
# on, and daemons holding them would keep the caller waiting for end-of-file forever.
close_inherited_fds() {
    local fd
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
    done
}

cmd_up() {
    close_inherited_fds
    need_root up
    if is_up; then
        say "already up ($NODE, $(node_state))"
        echo "export SLURM_CONF=$CONF"
        return 0
    fi
    install_packages
    mkdir -p "$DIR"/{ctld,spool,log,run}
    chmod 755 "$DIR"
    start_munge
    # The controller reads the conf at start: a fresh one only while it is not running.
    live_pid slurmctld >/dev/null || write_conf
    start_daemon slurmctld
    start_daemon slurmd
    # The controller restores the node's last state (idle) from ctld/: a fresh slurmd counts
    # only once it has registered, i.e. its SlurmdStartTime is not older than its start.
    local state='' slurmd_since=$STARTED
    for _ in $(seq 120); do # about 30 s
        state=$(node_state || true)
        if [ -n "$slurmd_since" ] && [ "$(slurmd_start_time)" -lt $((slurmd_since - 1)) ]; then
            state="${state:-no answer}, slurmd not registered"
        fi
        case $state in
            idle|mixed|allocated|completing) break ;;
            down*|drain*) # a node left down by an earlier run: ReturnToService=2 normally suffices
                SLURM_CONF=$CONF scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
        esac
        sleep 0.25
    done
    case $state in
        idle|mixed|allocated|completing) ;;
        *) SLURM_CONF=$CONF timeout 10 scontrol show node "$NODE" >&2 2>/dev/null || true
           fail_up "node $NODE not idle after 30 s (state: ${state:-no answer})" ;;
    esac
    say "up: node $NODE, $(nproc --all) CPUs, partition debug ($state); state in $DIR"
    echo "export SLURM_CONF=$CONF"
}

# SIGTERM to all the given pids at once (each daemon takes 1-2 s to exit), wait up to 10 s
# for them all, then SIGKILL the ones left.
stop_pids() { # pid...
    local pid left
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for _ in $(seq 100); do
        left=
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left+=" $pid"; done
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    say "killing$left (still there 10 s after SIGTERM)"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
}

# Job step daemons (slurmstepd) outlive slurmd by design; ours carry our SLURM_CONF.
our_stepds() {
    local p
    for p in $(pgrep -x slurmstepd 2>/dev/null || true); do
        tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "SLURM_CONF=$CONF" && echo "$p"
    done
    return 0
}

cmd_down() {
    need_root down
    local pid stopped=0 name
    # Cancel what is still queued or running, so no job outlives the cluster.
    if live_pid slurmctld >/dev/null && answering; then
        local jobs
        # shellcheck disable=SC2207
        jobs=($(SLURM_CONF=$CONF timeout 10 squeue -h -o %A 2>/dev/null | sort -u || true))
        if [ ${#jobs[@]} -gt 0 ]; then
            SLURM_CONF=$CONF timeout 10 scancel --full "${jobs[@]}" >/dev/null 2>&1 || true
        fi
        for _ in $(seq 40); do
            [ -z "$(SLURM_CONF=$CONF timeout 5 squeue -h -t running,completing -o %i 2>/dev/null || true)" ] && break
            sleep 0.25
        done
    fi
    local pids=()
    for name in slurmd slurmctld munged; do
        pid=$(live_pid "$name") && pids+=("$pid")
    done
    # shellcheck disable=SC2207
    pids+=($(our_stepds))
    [ ${#pids[@]} -gt 0 ] && stopped=1
    stop_pids "${pids[@]}"
    rm -f "$DIR"/run/{slurmd,slurmctld,munged}.pid
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    if [ $stopped = 1 ]; then say "down (state and logs left in $DIR)"; else say "already down"; fi
}

cmd_status() {
    if is_up; then
        SLURM_CONF=$CONF sinfo
        say "up; export SLURM_CONF=$CONF"
        return 0
    fi
    local name running=
    for name in munged slurmctld slurmd; do
        live_pid "$name" >/dev/null && running+=" $name"
    done
    say "down${running:+ (still running:$running)}"
    return 1
}

[ $# -eq 1 ] || usage
case $1 in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) usage ;;
esac
