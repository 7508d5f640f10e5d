# The program tcpserver runs for each connection in the differential tests.
# The harness passes this text inline, as `/bin/sh -c "$TEXT" child MODE`, never as a script
# file: dash keeps a script file open on fd 10, and the fd check below would see it.
# Everything goes to the client (fd 1), so what the client reads is what the child saw.

print_named() {
  # ${VAR-unset} tells "unset" from "set to the empty string", which tcpserver must get right.
  for v in "$@"; do
    eval "printf '%s=%s\n' $v \"\${$v-unset}\""
  done
}

print_vars() {
  print_named PROTO TCPLOCALIP TCPLOCALPORT TCPLOCALHOST TCPREMOTEIP TCPREMOTEPORT \
              TCPREMOTEHOST TCPREMOTEINFO TCP6LOCALIP TCP6LOCALPORT TCP6LOCALHOST \
              TCP6REMOTEIP TCP6REMOTEPORT TCP6REMOTEHOST TCP6REMOTEINFO TCP6INTERFACE \
              RULEVAR WHICH RELAYCLIENT TCPCONNNUM
  # The names of the whole environment, so a variable nobody expected shows up too.
  printf 'names:'
  env | sed 's/=.*//' | sort | tr '\n' ' '
  echo
}

print_fds() {
  # Blocked and ignored signals must be what tcpserver was started with (nothing): djb
  # unblocks SIGCHLD and resets SIGPIPE to default before exec. Read with builtins only:
  # while dash waits for a child it blocks every signal, so a forked grep would see that.
  while read -r line; do
    case $line in SigBlk*|SigIgn*) echo "$line" ;; esac
  done < /proc/$$/status
  # ls runs as a child of this shell and lists the shell's fds, so its own directory fd is not
  # among them; no pipe or substitution may be open in the shell while it runs.
  ls /proc/$$/fd
  for n in 0 1 2; do
    printf 'fd%s=%s ' "$n" "$(readlink /proc/$$/fd/$n | sed 's/[0-9][0-9]*/N/g')"
    # fdinfo flags in octal: 04000 is O_NONBLOCK, which an exec'd server must not inherit.
    grep '^flags' /proc/$$/fdinfo/$n
  done
  # Inherited limits: a server that raises RLIMIT_NOFILE must restore it for its children.
  echo "nofile=$(ulimit -n)"
}

case ${1-env} in
  env) print_vars ;;
  # Only the variables named after the mode (dns_diff.py, ident_diff.py compare just these).
  vars) shift; print_named "$@" ;;
  exit3) exit 3 ;;
  kill) kill -9 $$ ;;
  fds) print_fds ;;
  ids) id ;;
  sockopts)
    # -D sets TCP_NODELAY on the accepted socket; nothing else should be set.
    exec python3 -c 'import socket
s = socket.socket(fileno=0)
print("nodelay=%d keepalive=%d" % (s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0,
      s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0))
s.detach()' ;;
  wait)
    # Served, then held open until the client sends a line: lets the harness keep a child alive.
    print_vars
    echo ready
    read -r line
    echo "got $line"
    ;;
  *) echo "child.sh: unknown mode $1" ; exit 1 ;;
esac
