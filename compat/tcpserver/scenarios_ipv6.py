"""Scenarios: IPv6 and the dual-stack socket. IPv6 clients are compared with fefe's build (the
only reference that has them); IPv4 clients of the dual-stack socket with djb's (see the
deliberate difference below)."""

import socket

from harness import one_connection, scenario, serve_under_rules


@scenario(ref="fefe")
def s_ipv6_env(run):
    """::1 against fefe: PROTO=TCP6, TCP6* copies, and fefe's ok line with `:` left unmasked."""
    one_connection(run, ["-v"], host="::1", v6=True)


@scenario(ref="fefe")
def s_ipv6_rules(run):
    """IPv6 keys (fefe tcprules syntax): `::1` is tried before `::` and `:`."""
    serve_under_rules(run, ':::allow,WHICH="dcolon"\n::1:allow,WHICH="exact",RULEVAR="v6"\n'
                      '::deny\n', reference="fefe", host="::1", v6=True)


@scenario(ref="fefe")
def s_ipv6_rules_prefix(run):
    """`::` (written `:::allow`) is the prefix key after `::1`."""
    serve_under_rules(run, ':::allow,WHICH="dcolon"\n::deny\n', reference="fefe", host="::1",
                      v6=True)


@scenario(ref="fefe")
def s_ipv6_deny_with_banner(run):
    serve_under_rules(run, "::1:deny\n", ["-B", "v6banner"], reference="fefe", host="::1",
                      v6=True)


@scenario(ref="fefe")
def s_dual_stack_ipv6_client(run):
    """Host `0`: an IPv6 client on the dual-stack socket, as fefe presents it."""
    one_connection(run, ["-v"], host="0", v6=True)


@scenario(ref="fefe")
def s_dual_stack_forced_v6_ipv4_client(run):
    """`-6`: IPv4 clients presented as IPv4-mapped IPv6 (PROTO=TCP6, ::ffff: everywhere)."""
    one_connection(run, ["-v", "-6"], host="0")



# DELIBERATE DIFFERENCE (tcpserver/README.md): on the dual-stack socket of host `0` or `''`, ours
# presents IPv4 clients exactly as djb does (PROTO=TCP, dotted values, no TCP6* variables, dotted
# log fields), where fefe's build sets TCP6*=::ffff:... and logs `::ffff:127.0.0.1`. So these are
# compared with djb's build, whose host `0` is 0.0.0.0: for an IPv4 client the two must agree.

@scenario(ref="djb")
def s_dual_stack_ipv4_client(run):
    one_connection(run, ["-v"], host="0")


@scenario(ref="djb")
def s_dual_stack_empty_host(run):
    one_connection(run, ["-v"], host="")


@scenario(ref="djb")
def s_dual_stack_ipv4_rules(run):
    """An IPv4 client on the dual-stack socket is looked up by its dotted form."""
    serve_under_rules(run, '127.0.0.1:allow,WHICH="dotted"\n:deny\n', host="0")


@scenario(ref="djb")
def s_ipv4_only_flag(run):
    """Ours `-4 0` listens on IPv4 only, as djb's `0` does (djb has no -4: it is left out for
    djb). An IPv6 client is refused; an IPv4 one is served as usual."""
    server = run.start(["-v"] + ([] if run.impl == "djb" else ["-4"]), host="0")
    try:
        server.connect(socket.AF_INET6, "::1")
        run.note("::1 accepted")
    except ConnectionRefusedError:
        run.note("::1 refused")
    run.serve_one(server)
    run.finish()
